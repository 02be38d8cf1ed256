package registry

import (
	"testing"
	"time"
)

// TestThresholdsInForce shows how a device's thresholds are resolved: the
// built-in light box defaults, the file's per kind on top, then the
// device's own, each field's entry replacing the one before whole.
func TestThresholdsInForce(t *testing.T) {
	r, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		field, event, clear string
		below, above        float64
		equals              *bool
		hold                time.Duration
	}
	no := false
	cases := []struct {
		device string
		want   []want
	}{
		{"lb-0001", []want{ // kind default + the file's lightbox rssi_dbm
			{field: "battery_v", event: "battery.low", clear: "battery.ok", below: 11.5, hold: 5 * time.Minute},
			{field: "mains", event: "power.mains_lost", clear: "power.mains_restored", equals: &no},
			{field: "rssi_dbm", event: "signal.weak", clear: "signal.ok", below: -105, hold: 10 * time.Minute},
		}},
		{"lb-0002", []want{ // its own battery_v replaces the default whole
			{field: "battery_v", event: "battery.low", clear: "battery.ok", below: 23, hold: 10 * time.Minute},
			{field: "mains", event: "power.mains_lost", clear: "power.mains_restored", equals: &no},
			{field: "rssi_dbm", event: "signal.weak", clear: "signal.ok", below: -105, hold: 10 * time.Minute},
		}},
		{"io-0003", []want{{field: "mains", event: "power.mains_lost", clear: "power.mains_restored", equals: &no}}},
		{"cam-0001", nil},
		{"nobody", nil},
	}
	for _, c := range cases {
		t.Run(c.device, func(t *testing.T) {
			got := r.Thresholds(c.device)
			if len(got) != len(c.want) {
				t.Fatalf("thresholds = %+v, want %d", got, len(c.want))
			}
			for i, w := range c.want {
				g := got[i]
				ok := g.Field == w.field && g.Event == w.event && g.ClearEvent == w.clear && g.Hold == w.hold &&
					(w.below == 0) == (g.Below == nil) && (w.below == 0 || *g.Below == w.below) &&
					(w.above == 0) == (g.Above == nil) && (w.above == 0 || *g.Above == w.above) &&
					(w.equals == nil) == (g.Equals == nil) && (w.equals == nil || *g.Equals == *w.equals)
				if !ok {
					t.Errorf("threshold %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
	for _, typ := range []string{"battery.low", "battery.ok", "power.mains_lost", "power.mains_restored", "signal.weak", "signal.ok"} {
		if !r.ThresholdEvent(typ) {
			t.Errorf("ThresholdEvent(%s) = false", typ)
		}
	}
	if r.ThresholdEvent("button.pressed") {
		t.Error("ThresholdEvent(button.pressed) = true")
	}
}

// TestThresholdOff shows that off: true takes a default away, for a kind
// or one device.
func TestThresholdOff(t *testing.T) {
	r, err := Parse("off", []byte(`grids: [{id: g, level: 3}]
telemetry_thresholds:
  lightbox: {battery_v: {off: true}}
devices:
  - {id: a, kind: lightbox, grid: g}
  - {id: b, kind: lightbox, grid: g, telemetry_thresholds: {mains: {off: true}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Thresholds("a"); len(got) != 1 || got[0].Field != "mains" {
		t.Errorf("a: %+v, want mains only", got)
	}
	if got := r.Thresholds("b"); len(got) != 0 {
		t.Errorf("b: %+v, want none", got)
	}
	if r.ThresholdEvent("battery.low") {
		t.Error("battery.low journaled by nobody, yet ThresholdEvent says so")
	}
}
