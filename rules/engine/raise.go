package engine

import (
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// Event types the engine derives for its own deadlines. Tick returns them
// (Source gateway, Data {"rule": id}) like device.offline; the owner
// journals them and they come back through Evaluate, where they raise.
const (
	// EventHeld says a for: rule's condition has held on the device for
	// its whole time: the rule raises its alarm.
	EventHeld = "rule.held"
)

// raise appends r's raise trigger for ev, after what the rule's
// lifecycle asks: a for: rule only arms its deadline.
func (e *Engine) raise(r *compiled, ev *event.Event, dev *registry.Device, grid *registry.Grid, now int64, out []event.Trigger) []event.Trigger {
	l := r.life()
	if r.For > 0 && !l.isActive(ev.Device) {
		l.hold(ev.Device, now+r.forMS)
		return out
	}
	return e.fire(r, ev, dev, grid, out)
}

// fire makes the raise trigger and records that the alarm is raised.
func (e *Engine) fire(r *compiled, ev *event.Event, dev *registry.Device, grid *registry.Grid, out []event.Trigger) []event.Trigger {
	t := r.trigger(ev, dev, grid, false)
	if l := r.life(); l != nil {
		l.activate(ev.Device, cellOf(dev))
	}
	return append(out, t)
}

// clear appends r's clear trigger for ev. A for: rule whose condition
// ends before its deadline raised nothing, so clears nothing either.
func (e *Engine) clear(r *compiled, ev *event.Event, dev *registry.Device, grid *registry.Grid, now int64, out []event.Trigger) []event.Trigger {
	if l := r.life(); l != nil {
		if r.For > 0 && l.release(ev.Device) {
			return out
		}
		l.deactivate(ev.Device)
	}
	return append(out, r.trigger(ev, dev, grid, true))
}

// held raises a for: rule whose deadline passed, unless the condition
// ended since Tick derived the event (or the event is a replayed
// duplicate, or it names another rule).
func (e *Engine) held(r *compiled, ev *event.Event, dev *registry.Device, grid *registry.Grid, now int64, out []event.Trigger) []event.Trigger {
	if ev.Source != event.SourceGateway || ev.Data["rule"] != r.ID {
		return out
	}
	l := r.life()
	if _, ok := l.due[ev.Device]; !ok {
		return out
	}
	delete(l.due, ev.Device)
	return e.fire(r, ev, dev, grid, out)
}

// life is the rule's lifecycle state; nil for a rule without clears.
func (r *compiled) life() *life {
	if r.state == nil {
		return nil
	}
	return r.state.life
}

func cellOf(dev *registry.Device) string {
	if dev == nil {
		return ""
	}
	return dev.Grid
}
