package registry

import (
	"cmp"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Threshold is how the gateway judges one telemetry field of a device and
// which event it journals when the field crosses it. Exactly one of Below,
// Above and Equals is set (or Off):
//
//   - Below: the condition is raised when the value drops under Below and
//     clears only once it is back at Clear or more (Clear above Below: the
//     band between them is the hysteresis, where nothing changes);
//   - Above: the mirror image (Clear below Above);
//   - Equals: a boolean field; raised while it equals Equals, cleared when
//     it is the other value (a number 0 or 1 counts as false or true).
//
// Hold is how long the crossing must last (every sample since the first
// one across saying the same) before the event is journaled, both ways.
type Threshold struct {
	Below  *float64      `yaml:"below,omitempty" json:"below,omitempty"`
	Above  *float64      `yaml:"above,omitempty" json:"above,omitempty"`
	Clear  *float64      `yaml:"clear,omitempty" json:"clear,omitempty"`
	Equals *bool         `yaml:"equals,omitempty" json:"equals,omitempty"`
	Hold   time.Duration `yaml:"hold,omitempty" json:"hold,omitempty"`
	// Event is the event type journaled when the condition is raised,
	// ClearEvent when it clears ("" journals nothing). battery_v and mains
	// have built-in ones (see ThresholdEvents).
	Event      string `yaml:"event,omitempty" json:"event,omitempty"`
	ClearEvent string `yaml:"clear_event,omitempty" json:"clear_event,omitempty"`
	// Off switches off a threshold the device's kind (or the built-in
	// defaults) would give it.
	Off bool `yaml:"off,omitempty" json:"off,omitempty"`
}

// FieldThreshold is one threshold in force for a device: the telemetry
// field it judges, with its events resolved.
type FieldThreshold struct {
	Field string
	Threshold
}

// BatteryOK is the event that clears battery.low: the battery is back in
// range (an extension of the contract's event types).
const BatteryOK = "battery.ok"

// MaxThresholdHold bounds a threshold's hold.
const MaxThresholdHold = 24 * time.Hour

// ThresholdEvents returns the built-in events of a telemetry field:
// battery_v journals battery.low and battery.ok, mains power.mains_lost and
// power.mains_restored. Other fields have none ("", "").
func ThresholdEvents(field string) (raise, clear string) {
	switch field {
	case "battery_v":
		return event.BatteryLow, BatteryOK
	case "mains":
		return event.PowerMainsLost, event.PowerMainsRestored
	}
	return "", ""
}

// DefaultThresholds returns the built-in telemetry thresholds of a device
// kind: a light box's 12 V battery is low under 11.5 V for 5 minutes and
// fine again at 12.0 V (5 minutes too: a siren's load sags it for less),
// and its mains is lost while it reports mains false. Other kinds have
// none. The registry's telemetry_thresholds override them field by field.
func DefaultThresholds(k Kind) map[string]Threshold {
	if k != Lightbox {
		return nil
	}
	low, ok, lost := 11.5, 12.0, false
	return map[string]Threshold{
		"battery_v": {Below: &low, Clear: &ok, Hold: 5 * time.Minute},
		"mains":     {Equals: &lost},
	}
}

// Thresholds returns the telemetry thresholds in force for device id,
// sorted by field (nil for none, or an unknown device).
func (r *Registry) Thresholds(id string) []FieldThreshold { return r.thresholds[id] }

// ThresholdEvent reports whether some device's threshold journals events
// of type t (when raised or cleared).
func (r *Registry) ThresholdEvent(t string) bool { return r.thresholdTypes[t] }

// resolveThresholds fills in every device's thresholds in force: the
// built-in defaults of its kind, then the file's for its kind, then its
// own, each field's entry replacing the one before whole.
func (r *Registry) resolveThresholds(kinds map[Kind]map[string]Threshold) {
	r.thresholds = map[string][]FieldThreshold{}
	r.thresholdTypes = map[string]bool{}
	for id, d := range r.devices {
		ts := mergeThresholds(kinds, d)
		if len(ts) == 0 {
			continue
		}
		r.thresholds[id] = ts
		for _, t := range ts {
			r.thresholdTypes[t.Event] = true
			if t.ClearEvent != "" {
				r.thresholdTypes[t.ClearEvent] = true
			}
		}
	}
}

// mergeThresholds is d's thresholds in force, sorted by field.
func mergeThresholds(kinds map[Kind]map[string]Threshold, d *Device) []FieldThreshold {
	m := DefaultThresholds(d.Kind)
	for _, over := range []map[string]Threshold{kinds[d.Kind], d.TelemetryThresholds} {
		for f, t := range over {
			if m == nil {
				m = map[string]Threshold{}
			}
			m[f] = t
		}
	}
	var out []FieldThreshold
	for f, t := range m {
		if t.Off {
			continue
		}
		raise, clear := ThresholdEvents(f)
		if t.Event == "" {
			t.Event, t.ClearEvent = raise, cmp.Or(t.ClearEvent, clear)
		}
		out = append(out, FieldThreshold{Field: f, Threshold: t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// checkThresholds checks one telemetry_thresholds mapping (of a kind, or
// of a device); key is its path within s ("telemetry_thresholds" or
// "lightbox").
func (d *decoder) checkThresholds(s *spot, key string, m map[string]Threshold) {
	for _, f := range slices.Sorted(maps.Keys(m)) {
		d.checkThreshold(s, key+"."+f, f, m[f])
	}
}

// checkThreshold checks the threshold t on field f, at key within s.
func (d *decoder) checkThreshold(s *spot, key, f string, t Threshold) {
	at := func(k string) int { return s.lineOf(key + "." + k) }
	if !validField(f) {
		d.add(s.lineOf(key), s.subject, "%s: telemetry field name %q: want [A-Za-z0-9_], at most 64 characters", key, f)
	}
	if s.bad[key] {
		return // a value did not decode; reported already
	}
	given := 0
	for _, b := range []bool{t.Below != nil, t.Above != nil, t.Equals != nil} {
		if b {
			given++
		}
	}
	if t.Off {
		if given > 0 || t.Clear != nil || t.Hold != 0 || t.Event != "" || t.ClearEvent != "" {
			d.add(at("off"), s.subject, "%s: off: true takes no other keys", key)
		}
		return
	}
	switch {
	case given == 0:
		d.add(s.lineOf(key), s.subject, "%s: want one of below, above or equals (or off: true)", key)
	case given > 1:
		d.add(s.lineOf(key), s.subject, "%s: give only one of below, above and equals", key)
	case t.Equals != nil && t.Clear != nil:
		d.add(at("clear"), s.subject, "%s: clear is for below and above; equals clears on the other value", key)
	case t.Below != nil && t.Clear == nil:
		d.add(s.lineOf(key), s.subject, "%s: clear missing: the level at which it clears, above below (%v), so that a value at the edge does not flap", key, *t.Below)
	case t.Above != nil && t.Clear == nil:
		d.add(s.lineOf(key), s.subject, "%s: clear missing: the level at which it clears, below above (%v), so that a value at the edge does not flap", key, *t.Above)
	case t.Below != nil && !(*t.Clear > *t.Below):
		d.add(at("clear"), s.subject, "%s: clear %v must be above below %v (the band between them keeps a wobbling value from flapping)", key, *t.Clear, *t.Below)
	case t.Above != nil && !(*t.Clear < *t.Above):
		d.add(at("clear"), s.subject, "%s: clear %v must be below above %v (the band between them keeps a wobbling value from flapping)", key, *t.Clear, *t.Above)
	}
	if t.Hold < 0 || t.Hold > MaxThresholdHold {
		d.add(at("hold"), s.subject, "%s: hold %s out of range 0s..24h", key, t.Hold)
	}
	raise, _ := ThresholdEvents(f)
	if t.Event == "" && raise == "" {
		d.add(s.lineOf(key), s.subject, "%s: event missing: name the event type to journal (only battery_v and mains have built-in ones)", key)
	}
	for _, e := range []struct{ k, v string }{{"event", t.Event}, {"clear_event", t.ClearEvent}} {
		switch {
		case e.v == "":
		case !validType(e.v):
			d.add(at(e.k), s.subject, "%s: %s %q: want a dotted lower-case event type such as battery.low", key, e.k, e.v)
		case reserved(e.v):
			d.add(at(e.k), s.subject, "%s: %s %s is the gateway's own; pick another type", key, e.k, e.v)
		}
	}
	if t.Event != "" && t.Event == t.ClearEvent {
		d.add(at("clear_event"), s.subject, "%s: clear_event is the same as event", key)
	}
}

// checkDeviceThresholds checks d's own thresholds, and that no two of its
// thresholds in force journal the same event (a crossing would count
// twice).
func (d *decoder) checkDeviceThresholds(dev *Device, s *spot, kinds map[Kind]map[string]Threshold) {
	if dev.TelemetryThresholds != nil && !s.bad["telemetry_thresholds"] {
		d.checkThresholds(s, "telemetry_thresholds", dev.TelemetryThresholds)
	}
	by := map[string]string{}
	for _, t := range mergeThresholds(kinds, dev) {
		for _, e := range []string{t.Event, t.ClearEvent} {
			if e == "" {
				continue
			}
			if o, ok := by[e]; ok {
				d.add(s.lineOf("telemetry_thresholds"), s.subject, "telemetry_thresholds: %s and %s both journal %s", o, t.Field, e)
				continue
			}
			by[e] = t.Field
		}
	}
}

// checkKindThresholds checks the file's telemetry_thresholds by kind.
func (d *decoder) checkKindThresholds(s *spot, m map[Kind]map[string]Threshold) {
	kinds := make([]string, 0, len(m))
	for k := range m {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		if !Kind(k).Valid() {
			d.add(s.lineOf(k), s.subject, "unknown device kind %q (want lightbox, camera, reader, io)", k)
			continue
		}
		d.checkThresholds(s, k, m[Kind(k)])
	}
}

// validField reports whether f is a telemetry field name of the contract.
func validField(f string) bool {
	if f == "" || len(f) > 64 {
		return false
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// validType reports whether t is a dotted lower-case event type of at most
// 64 characters, as the MQTT contract takes them.
func validType(t string) bool {
	if t == "" || len(t) > 64 || t[0] == '.' || t[len(t)-1] == '.' || strings.Contains(t, "..") {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// reserved says whether typ is one only the gateway's own parts may
// journal (event.ReservedFor): a threshold naming rule.held would forge the
// rules' own deadline, one naming device.offline the supervision's verdict.
func reserved(typ string) bool {
	_, r := event.ReservedFor(typ)
	return r
}
