package commission

import (
	"math"
	"slices"

	"github.com/gridwatch/gridwatch/gateway/registry"
)

// A site's own telemetry thresholds (the registry's telemetry_thresholds)
// are what its devices are judged by in service, so commissioning judges
// by them too: a 24 V box whose battery_v threshold is below 23.0 passes
// at 26 V, and a box whose mains threshold is off (it has no mains
// sensor) is not asked to report mains lost and restored.

// rangesFor is what device d's telemetry must be within: base (the
// service's ranges), except a field the registry gives d a threshold of
// its own for — then the value must not be across it — or switched off —
// then it is not judged.
func rangesFor(reg *registry.Registry, d *registry.Device, base map[string]Range) map[string]Range {
	own := map[string]registry.FieldThreshold{}
	for _, t := range reg.Thresholds(d.ID) {
		own[t.Field] = t
	}
	builtin := registry.DefaultThresholds(d.Kind)
	out := make(map[string]Range, len(base))
	for field, r := range base {
		t, ok := own[field]
		_, hasDefault := builtin[field]
		switch {
		case !ok && hasDefault: // switched off
			continue
		case ok && !sameLevel(t.Threshold, builtin[field]):
			if t.Below != nil {
				r = Range{Min: *t.Below, Max: math.Inf(1)}
			} else if t.Above != nil {
				r = Range{Min: math.Inf(-1), Max: *t.Above}
			}
		}
		out[field] = r
	}
	return out
}

// sameLevel reports whether a and b raise at the same level.
func sameLevel(a, b registry.Threshold) bool {
	eq := func(x, y *float64) bool { return x == nil && y == nil || x != nil && y != nil && *x == *y }
	return eq(a.Below, b.Below) && eq(a.Above, b.Above)
}

// expectedFor is the checks device d must pass: those of its kind, but
// not mains or battery when the registry switched that threshold off.
func expectedFor(reg *registry.Registry, d *registry.Device) []Check {
	checks := Expected(d.Kind)
	own := map[string]bool{}
	for _, t := range reg.Thresholds(d.ID) {
		own[t.Field] = true
	}
	builtin := registry.DefaultThresholds(d.Kind)
	return slices.DeleteFunc(checks, func(c Check) bool {
		for field, fc := range map[string]Check{"mains": Mains, "battery_v": Battery} {
			if _, def := builtin[field]; c == fc && def && !own[field] {
				return true
			}
		}
		return false
	})
}
