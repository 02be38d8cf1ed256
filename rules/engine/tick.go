package engine

import (
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/rules/window"
)

// sweepEvery is how often, in Tick time, idle keys are evicted.
const sweepEvery = 10 * time.Second

// Tick handles deadlines up to now and returns the events the gateway
// derives: device.online for devices that spoke again since they were
// declared offline (oldest first), then, rule by rule, rule.held for each
// device whose for: condition held to its deadline and device.offline for
// each device whose supervision deadline is at or before now, earliest
// first. Each
// device.offline carries TS = the deadline, so a late tick still says when
// the device went silent for too long.
//
// The owner journals the returned events; they come back through Evaluate
// like any other, where the built-in offline rule raises and clears its
// alarm. Call Tick after each batch of events and on a timer no coarser
// than a second (NextDeadline says when the next one is due). Tick also
// evicts idle keys of count and sequence rules now and then.
func (e *Engine) Tick(now time.Time) []event.Event {
	ms := now.UnixMilli()
	out := e.outbox
	e.outbox = nil
	for _, r := range e.rules {
		if l := r.life(); l != nil && r.For > 0 {
			l.held.Due(ms, func(device string, at int64) {
				l.due[device] = at
				out = append(out, derived(EventHeld, device, r.ID, at, ms))
			})
		}
		if l := r.life(); l != nil && r.Flap != nil {
			l.calm.Due(ms, func(device string, at int64) {
				out = append(out, derived(EventCalm, device, r.ID, at, ms))
			})
		}
		if r.Absence == nil {
			continue
		}
		s := r.state.absence
		s.deadlines.Due(ms, func(device string, at int64) {
			if e.registry != nil {
				if reg := e.registry(); reg != nil {
					if _, ok := reg.Device(device); !ok {
						delete(s.lastSeen, device) // gone from the registry: stop watching it
						return
					}
				}
			}
			s.offline[device] = struct{}{}
			out = append(out, derived(event.DeviceOffline, device, r.ID, at, ms))
		})
	}
	e.sweepSome(ms)
	return out
}

// sweepBudget is how many keys one Tick looks at, at most, to evict idle
// ones (plus the flap records of a rule finishing its pass). Rules are
// swept in turn, each when its time has come and in instalments when it
// holds more keys than the budget — a pass ends once it has looked at as
// many keys as the rule held when it began (each instalment starts at a
// random key, so a pass covers nearly all of them; what one misses the
// next takes). So no Tick walks a whole large map and holds up the events
// behind it.
const sweepBudget = 8192

// sweepSome evicts idle keys of the rules whose sweep is due, in turn,
// within sweepBudget. A key idles out only after its rule's window:
// sweeping a rule more often than that finds little and walks every key.
func (e *Engine) sweepSome(ms int64) {
	budget := sweepBudget
	for range e.rules {
		if budget <= 0 {
			return
		}
		r := e.rules[e.sweepNext%len(e.rules)]
		st := r.state
		if st == nil || (!r.sweeping && ms-r.swept < r.sweepMS() && ms >= r.swept) {
			e.sweepNext = (e.sweepNext + 1) % len(e.rules)
			continue
		}
		looked, held := st.sweepSome(ms, budget)
		if !r.sweeping {
			r.sweeping, r.sweepLeft = true, held
		}
		r.sweepLeft -= looked
		walkedAll := looked < budget // the map ran out before the budget
		budget -= max(1, looked)
		if r.sweepLeft > 0 && !walkedAll {
			return // this rule goes on at the next Tick
		}
		r.sweeping, r.swept = false, ms
		if st.life != nil && r.Flap != nil {
			st.life.sweepFlaps(ms, r.flapMS)
		}
		e.sweepNext = (e.sweepNext + 1) % len(e.rules)
	}
}

// NextDeadline returns the earliest deadline (supervision, for:), if any.
func (e *Engine) NextDeadline() (time.Time, bool) {
	var best int64
	found := false
	next := func(d *window.Deadlines) {
		if at, ok := d.Next(); ok && (!found || at < best) {
			best, found = at, true
		}
	}
	for _, r := range e.rules {
		if l := r.life(); l != nil {
			next(l.held)
			next(l.calm)
		}
		if r.Absence != nil {
			next(r.state.absence.deadlines)
		}
	}
	if !found {
		return time.Time{}, false
	}
	return time.UnixMilli(best), true
}

// sweepMS is how often, in event time, the rule's idle keys are swept:
// every sweepEvery, or every window when that is longer.
func (r *compiled) sweepMS() int64 {
	span := r.flapMS
	switch {
	case r.Count != nil:
		span = max(span, time.Duration(r.Count.Within).Milliseconds())
	case r.Sequence != nil:
		span = max(span, time.Duration(r.Sequence.Within).Milliseconds())
	}
	return max(sweepEvery.Milliseconds(), span)
}
