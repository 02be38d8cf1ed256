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
	EventHeld = event.RuleHeld
)

// MutedFlapping is Trigger.Muted of a raise muted by flap damping.
const MutedFlapping = "flapping"

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
	var flap *event.Trigger
	if l := r.life(); l != nil {
		was := l.activate(ev.Device, cellOf(dev))
		if r.Flap != nil {
			if !was && l.toggle(r, ev.Device, eventMS(ev)) {
				ft := r.flapTrigger(ev, dev, grid, false)
				flap = &ft
			}
			if l.flapping(ev.Device) {
				t.Muted = MutedFlapping
			}
		}
	}
	ms := eventMS(ev)
	if t.Muted == "" {
		if by := inhibitedBy(r, ev.Device, cellOf(dev)); by != "" {
			t.Muted = "inhibited by " + by
		}
	}
	s := e.silence(&t, dev, ms)
	if len(r.Commands) > 0 && (t.Muted == "" || t.Test) {
		t.Commands = e.commands(r, ev.Device, dev)
		if t.Test {
			t.Commands = testCommands(t.Commands, s)
		}
	}
	out = append(out, t)
	if flap != nil {
		e.silence(flap, dev, ms)
		out = append(out, *flap)
	}
	return out
}

// clear appends r's clear trigger for ev. A for: rule whose condition
// ends before its deadline raised nothing, so clears nothing either; a
// count or sequence rule clears only the device its alarm was raised on
// (its state survives restarts by Snapshot). A plain rule clears always,
// so an alarm raised before a restart without a snapshot still closes.
func (e *Engine) clear(r *compiled, ev *event.Event, dev *registry.Device, grid *registry.Grid, now int64, out []event.Trigger) []event.Trigger {
	if l := r.life(); l != nil {
		if r.For > 0 && l.release(ev.Device) {
			return out
		}
		was := l.deactivate(ev.Device)
		if !was && !r.plain() {
			return out // a count or sequence alarm raised elsewhere, or not at all
		}
		if was && r.Flap != nil && l.toggle(r, ev.Device, now) {
			return append(out, r.trigger(ev, dev, grid, true), r.flapTrigger(ev, dev, grid, false))
		}
	}
	return append(out, r.trigger(ev, dev, grid, true))
}

// eventMS is the time the engine judges ev by, Unix ms.
func eventMS(ev *event.Event) int64 {
	if ev.Received != 0 {
		return ev.Received
	}
	return ev.TS
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
