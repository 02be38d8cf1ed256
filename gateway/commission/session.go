// Package commission runs installers' commissioning sessions (walk
// tests): a set of devices is put into test mode for a bounded time, and
// the session ticks off, per device, what the gateway has seen of it — a
// press, a heartbeat, a tamper, mains lost and restored, a card read, the
// door contact, a command's ack, telemetry in range, the camera's stream,
// the right grid — until the installer ends it or it expires.
//
// The session is fed by what ingest accepted (events, heartbeats,
// telemetry) and by the device command API's answers; it never blocks
// them. Test mode is the rules' own (a test silence) whose end is the
// session's end, so test mode never outlives a session, even across a
// restart: sessions are kept in a small file and an expired one is
// ended when the gateway reads it back.
package commission

import (
	"strconv"
	"strings"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// Check names one thing a device must show.
type Check string

// The checks.
const (
	Heartbeat Check = "heartbeat" // any sign of life: an event, a sample, a heartbeat
	Press     Check = "press"     // the panic button (button.pressed, button.duress, intercom.call)
	Tamper    Check = "tamper"    // tamper.open
	Mains     Check = "mains"     // power.mains_lost then power.mains_restored (or telemetry mains false then true)
	Card      Check = "card"      // card.read, access.granted or access.denied
	Door      Check = "door"      // a door contact event (door.*)
	Command   Check = "command"   // a command's ack (ok)
	Battery   Check = "battery"   // telemetry battery_v in range
	Signal    Check = "signal"    // telemetry rssi_dbm in range
	Stream    Check = "stream"    // a camera's stream seen and not lost
	Cover     Check = "cover"     // a camera covered (camera.occluded)
	Grid      Check = "grid"      // the device reports from the cell it is registered in
)

// Expected are the checks a device of kind must pass.
func Expected(kind registry.Kind) []Check {
	switch kind {
	case registry.Lightbox:
		return []Check{Heartbeat, Press, Tamper, Mains, Battery, Signal, Command, Grid}
	case registry.Reader:
		return []Check{Heartbeat, Card, Door, Command, Grid}
	case registry.Camera:
		return []Check{Heartbeat, Stream, Cover, Grid}
	}
	return []Check{Heartbeat, Grid}
}

// Range is a telemetry field's acceptable span, both ends included.
type Range struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// DefaultRanges are the telemetry ranges a device must report within: a
// 12 V box's battery on float charge, and a usable 4G signal.
var DefaultRanges = map[string]Range{
	"battery_v": {Min: 11.5, Max: 14.8},
	"rssi_dbm":  {Min: -105, Max: 0},
}

var fieldCheck = map[string]Check{"battery_v": Battery, "rssi_dbm": Signal}

// Outcomes of a device and of a check.
const (
	Passed  = "passed"
	Failed  = "failed"
	NotSeen = "not_seen"
	Pending = "pending" // seen, some checks still open (live state only)
)

// Mark is what was seen for one check.
type Mark struct {
	OK     bool   `json:"ok"`
	AtMS   int64  `json:"at_ms"`
	Detail string `json:"detail,omitempty"` // the event type, the value, why it failed
	// LatencyMS is how long the device's report took to reach the gateway
	// (received − the device's own time), when it gave one.
	LatencyMS int64 `json:"latency_ms,omitempty"`
}

// Device is one device's progress.
type Device struct {
	ID       string          `json:"id"`
	Kind     registry.Kind   `json:"kind"`
	Grid     string          `json:"grid"`
	Name     string          `json:"name,omitempty"`
	Expected []Check         `json:"expected"`
	Marks    map[Check]*Mark `json:"marks"`
	// Outcome is Passed, Failed, NotSeen or (while live) Pending.
	Outcome string `json:"outcome"`
	// Missing are the expected checks not passed yet.
	Missing []Check `json:"missing,omitempty"`
	// OutOfRange are the telemetry values seen outside their range.
	OutOfRange map[string]float64 `json:"out_of_range,omitempty"`
	FirstMS    int64              `json:"first_seen_ms,omitempty"`
	// Released is set when the device passed while the session was live:
	// it left test mode then (back in service: a press pages again).
	Released  bool `json:"released,omitempty"`
	mainsLost bool
}

func newDevice(d *registry.Device, expected []Check) *Device {
	return &Device{ID: d.ID, Kind: d.Kind, Grid: d.Grid, Name: d.Name, Expected: expected, Marks: map[Check]*Mark{}}
}

// mark records c; a failed mark is kept over a later pass only for
// checks that judge a value (telemetry, grid), so an out-of-range battery
// stays on the report. It reports whether anything changed.
func (d *Device) mark(c Check, m Mark) bool {
	old := d.Marks[c]
	switch {
	case old == nil:
	case old.OK == m.OK:
		return false
	case !old.OK && (c == Battery || c == Signal || c == Grid):
		return false
	}
	d.Marks[c] = &m
	return true
}

// seen records a sign of life at atMS and the device's right grid.
func (d *Device) seen(atMS int64) bool {
	changed := false
	if d.FirstMS == 0 {
		d.FirstMS, changed = atMS, true
	}
	changed = d.mark(Heartbeat, Mark{OK: true, AtMS: atMS}) || changed
	return d.mark(Grid, Mark{OK: true, AtMS: atMS, Detail: d.Grid}) || changed
}

// observe takes an event accepted from the device.
func (d *Device) observe(ev *event.Event) bool {
	changed := d.seen(ev.Received)
	m := Mark{OK: true, AtMS: ev.Received, Detail: ev.Type}
	if ev.TS > 0 && ev.Received >= ev.TS {
		m.LatencyMS = ev.Received - ev.TS
	}
	if g, ok := ev.Data["grid"].(string); ok && g != "" && g != d.Grid {
		changed = d.mark(Grid, Mark{AtMS: ev.Received, Detail: "reports grid " + g + ", registered in " + d.Grid}) || changed
	}
	switch t := ev.Type; {
	case t == event.ButtonPressed || t == event.ButtonDuress || t == event.IntercomCall:
		changed = d.mark(Press, m) || changed
	case t == event.TamperOpen:
		changed = d.mark(Tamper, m) || changed
	case t == event.PowerMainsLost:
		d.mainsLost = true
	case t == event.PowerMainsRestored:
		if d.mainsLost {
			changed = d.mark(Mains, m) || changed
		}
	case t == "card.read" || t == event.AccessGranted || t == event.AccessDenied:
		changed = d.mark(Card, m) || changed
	case strings.HasPrefix(t, "door."):
		changed = d.mark(Door, m) || changed
	case t == event.CameraOccluded:
		changed = d.mark(Cover, m) || changed
	case t == event.VideoLoss || t == event.StreamDegraded:
		changed = d.mark(Stream, Mark{AtMS: ev.Received, Detail: t}) || changed
	case t == event.StreamRestored:
		changed = d.mark(Stream, m) || changed
	}
	return changed
}

// telemetry takes a sample: mains false then true passes Mains, and each
// ranged field is judged.
func (d *Device) telemetry(t event.Telemetry, ranges map[string]Range) bool {
	changed := d.seen(t.Received)
	if d.Kind == registry.Camera {
		changed = d.mark(Stream, Mark{OK: true, AtMS: t.Received, Detail: "stream sample"}) || changed
	}
	if mains, ok := t.Fields["mains"].(bool); ok {
		if !mains {
			d.mainsLost = true
		} else if d.mainsLost {
			changed = d.mark(Mains, Mark{OK: true, AtMS: t.Received, Detail: "telemetry mains restored"}) || changed
		}
	}
	for field, r := range ranges {
		v, ok := t.Fields[field].(float64)
		c, known := fieldCheck[field]
		if !ok || !known {
			continue
		}
		m := Mark{OK: v >= r.Min && v <= r.Max, AtMS: t.Received, Detail: field + "=" + trimFloat(v)}
		if !m.OK {
			if d.OutOfRange == nil {
				d.OutOfRange = map[string]float64{}
			}
			d.OutOfRange[field] = v
		}
		changed = d.mark(c, m) || changed
	}
	return changed
}

// judge sets Outcome and Missing; final says the session has ended (an
// open check is then a failure).
func (d *Device) judge(final bool) {
	d.Missing = nil
	failed := false
	for _, c := range d.Expected {
		m := d.Marks[c]
		if m == nil || !m.OK {
			d.Missing = append(d.Missing, c)
		}
		if m != nil && !m.OK {
			failed = true
		}
	}
	switch {
	case d.FirstMS == 0 && len(d.Marks) == 0:
		d.Outcome = map[bool]string{true: NotSeen, false: Pending}[final]
	case failed || final && len(d.Missing) > 0:
		d.Outcome = Failed
	case len(d.Missing) == 0:
		d.Outcome = Passed
	default:
		d.Outcome = Pending
	}
}

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
