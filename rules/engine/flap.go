package engine

import (
	"errors"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// EventCalm says a flapping device has had no toggle of the rule's alarm
// for the flap window: its flapping alarm clears. Derived by Tick like
// EventHeld.
const EventCalm = event.RuleCalm

// flapping is one device's recent toggles of a rule's alarm.
type flapping struct {
	times []int64 // the last AtMost+1 toggle times, in arrival order
	on    bool    // flapping now
}

// toggle records a raise or clear that changed the state of r's alarm on
// device at now and reports whether the device just started flapping.
func (l *life) toggle(r *compiled, device string, now int64) bool {
	f := l.flaps[device]
	if f == nil {
		if len(l.flaps) >= l.max {
			l.dropped++
			return false
		}
		f = &flapping{times: make([]int64, 0, r.Flap.AtMost+1)}
		l.flaps[device] = f
	}
	if len(f.times) > r.Flap.AtMost {
		f.times = append(f.times[:0], f.times[1:]...)
	}
	f.times = append(f.times, now)
	if f.on {
		l.calm.Arm(device, now+r.flapMS)
		return false
	}
	if len(f.times) == r.Flap.AtMost+1 && f.times[r.Flap.AtMost]-f.times[0] <= r.flapMS {
		f.on = true
		l.calm.Arm(device, now+r.flapMS)
		return true
	}
	return false
}

func (l *life) flapping(device string) bool {
	f := l.flaps[device]
	return f != nil && f.on
}

// sweepFlaps evicts devices not flapping whose last toggle is older than
// the window.
func (l *life) sweepFlaps(now, window int64) {
	for dev, f := range l.flaps {
		if !f.on && (len(f.times) == 0 || f.times[len(f.times)-1] < now-window) {
			delete(l.flaps, dev)
		}
	}
}

// flapTrigger is the raise (or clear) of r's flapping alarm.
func (r *compiled) flapTrigger(ev *event.Event, dev *registry.Device, grid *registry.Grid, clear bool) event.Trigger {
	sev := r.Flap.Severity
	if sev == "" {
		sev = event.Blue
	}
	return event.Trigger{Rule: r.ID + rulefile.FlapSuffix, Severity: sev, Title: r.FlapHeading.Render(ev, dev, grid),
		Device: ev.Device, Clear: clear, Event: *ev}
}

// calm ends the flapping of a device that had no toggle for the window:
// the flapping alarm clears, and a rule alarm still raised is raised
// again, unmuted, so someone hears of it.
func (e *Engine) calm(r *compiled, ev *event.Event, dev *registry.Device, grid *registry.Grid, out []event.Trigger) []event.Trigger {
	if ev.Source != event.SourceGateway || ev.Data["rule"] != r.ID {
		return out
	}
	l := r.life()
	f := l.flaps[ev.Device]
	if f == nil || !f.on {
		return out
	}
	if _, again := l.calm.At(ev.Device); again {
		return out // it toggled again since Tick derived this event
	}
	f.on, f.times = false, f.times[:0]
	out = append(out, r.flapTrigger(ev, dev, grid, true))
	if l.isActive(ev.Device) {
		out = e.fire(r, ev, dev, grid, out)
	}
	return out
}

// errFlapLine is a flap line of a snapshot that cannot be.
var errFlapLine = errors.New("flap line: too many toggle times")
