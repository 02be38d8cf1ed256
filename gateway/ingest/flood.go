package ingest

import (
	"time"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// A device's messages are budgeted in three classes, so that what a
// flooding device loses first is what matters least:
//
//   - panic presses (button.pressed, button.duress) have a bucket of their
//     own: no amount of telemetry or other events can spend it. It is
//     bounded too (rate and burst as configured, far beyond any hand on a
//     button), so a box spewing presses cannot load the journal and the
//     rules for everyone; its alarm is open after the first one anyway.
//   - other events, presence and command answers share the device's main
//     bucket;
//   - telemetry is shed first: it may not take the last half of the main
//     bucket, which stays for the events.
type class int

const (
	classTelemetry class = iota
	classEvent
	classPanic
)

func (c class) String() string {
	switch c {
	case classPanic:
		return "panic"
	case classEvent:
		return "event"
	}
	return "telemetry"
}

// classOf is the budget class of a message of kind (and, for events, type).
func classOf(kind wire.Kind, typ string) class {
	switch {
	case kind == wire.KindTelemetry:
		return classTelemetry
	case kind == wire.KindEvent && (typ == event.ButtonPressed || typ == event.ButtonDuress):
		return classPanic
	}
	return classEvent
}

// DefaultFloodQuiet is how long a flagged device must stay within its
// budget before a new flood counts as a new episode (a new device.flooding).
const DefaultFloodQuiet = 5 * time.Minute

// flood is one device's budget and flood flag. Its owner (deviceState)
// holds the lock.
type flood struct {
	tokens, panicTokens float64
	last                time.Time
	flagged             bool
	lastRefusal         time.Time
}

// verdict is what the budget says of one message.
type verdict struct {
	ok bool
	// raise is set on the first refusal of a flood episode: the device is
	// to be flagged (device.flooding journaled).
	raise bool
}

// spend takes one message of class c at now out of the budget of a device
// allowed rate messages a second with bursts of burst. A device is flagged
// on its first refusal and stays flagged until it has gone quiet without
// a refusal; refusals within an episode raise nothing more.
func (f *flood) spend(c class, now time.Time, rate, burst float64, quiet time.Duration) verdict {
	if f.last.IsZero() {
		f.tokens, f.panicTokens = burst, burst
	} else if dt := now.Sub(f.last).Seconds(); dt > 0 {
		f.tokens = min(burst, f.tokens+dt*rate)
		f.panicTokens = min(burst, f.panicTokens+dt*rate)
	}
	if now.After(f.last) {
		f.last = now
	}
	switch c {
	case classPanic:
		if f.panicTokens >= 1 {
			f.panicTokens--
			return verdict{ok: true}
		}
	case classEvent:
		if f.tokens >= 1 {
			f.tokens--
			return verdict{ok: true}
		}
	default:
		if f.tokens >= 1+telemetryReserve(burst) {
			f.tokens--
			return verdict{ok: true}
		}
	}
	v := verdict{raise: !f.flagged || now.Sub(f.lastRefusal) >= quiet}
	f.flagged, f.lastRefusal = true, now
	return v
}

// unflag forgets the flag, so that the next refusal raises again (the
// device.flooding event could not be journaled).
func (f *flood) unflag() { f.flagged = false }

// telemetryReserve is the part of the main bucket telemetry may not take.
func telemetryReserve(burst float64) float64 { return float64(int(burst / 2)) }
