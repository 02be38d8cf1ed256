package engine

import (
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
	"github.com/gridwatch/gridwatch/rules/window"
)

// ruleState is the state of one rule: at most one of counts, pending and
// absence, and life for a rule with clears.
type ruleState struct {
	counts  *window.Counts
	pending *window.Pending
	absence *supervision
	life    *life
}

// supervision is an absence rule's state: a deadline per device that has
// spoken, and the devices declared offline and not back yet.
type supervision struct {
	deadlines *window.Deadlines
	offline   map[string]struct{}
	lastSeen  map[string]int64
}

// newRuleState makes the state c keeps; nil for a plain rule without
// clears.
func newRuleState(c *compiled, maxKeys int) (*ruleState, error) {
	s := &ruleState{}
	var err error
	switch {
	case c.Count != nil:
		s.counts, err = window.NewCounts(c.Count.AtLeast, time.Duration(c.Count.Within), maxKeys)
	case c.Sequence != nil:
		s.pending, err = window.NewPending(time.Duration(c.Sequence.Within), maxKeys)
	case c.Absence != nil:
		s.absence = &supervision{deadlines: window.NewDeadlines(),
			offline: make(map[string]struct{}), lastSeen: make(map[string]int64)}
	}
	if len(c.Clears) > 0 {
		s.life = newLife(maxKeys)
	}
	if err != nil || *s == (ruleState{}) {
		return nil, err
	}
	return s, nil
}

func (s *ruleState) keys() int {
	n := s.life.keys()
	switch {
	case s.counts != nil:
		n += s.counts.Len()
	case s.pending != nil:
		n += s.pending.Len()
	case s.absence != nil:
		n += len(s.absence.lastSeen)
	}
	return n
}

func (s *ruleState) dropped() uint64 {
	n := s.life.droppedKeys()
	switch {
	case s.counts != nil:
		n += s.counts.Dropped()
	case s.pending != nil:
		n += s.pending.Dropped()
	}
	return n
}

// silentFor is how long device may be silent before rule r declares it
// offline: the rule's fixed time, else the heartbeat times the factor.
func silentFor(r *compiled, dev *registry.Device) int64 {
	if r.Absence.After > 0 {
		return time.Duration(r.Absence.After).Milliseconds()
	}
	hb := registry.DefaultHeartbeat
	if dev != nil && dev.Heartbeat > 0 {
		hb = dev.Heartbeat
	}
	f := r.Absence.Factor
	if f == 0 {
		f = rulefile.DefaultFactor
	}
	return int64(float64(hb.Milliseconds()) * f)
}

// alive records a sign of life of device at now for absence rule r. A
// device that was offline is back: its device.online waits in the outbox.
func (e *Engine) alive(r *compiled, s *supervision, device string, dev *registry.Device, now int64) {
	if last, ok := s.lastSeen[device]; ok && now < last {
		return // out of order: an older sign of life changes nothing
	}
	s.lastSeen[device] = now
	if _, off := s.offline[device]; off {
		delete(s.offline, device)
		e.outbox = append(e.outbox, derived(event.DeviceOnline, device, r.ID, now, now))
	}
	s.deadlines.Arm(device, now+silentFor(r, dev))
}

// derived makes an event the gateway itself says about a device.
func derived(typ, device, rule string, at, now int64) event.Event {
	return event.Event{Device: device, Type: typ, TS: at, Received: now, Source: event.SourceGateway,
		Data: map[string]any{"rule": rule}}
}
