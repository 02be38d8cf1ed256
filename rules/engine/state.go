package engine

import (
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/window"
)

// ruleState is the state of one stateful rule; exactly one field is set.
type ruleState struct {
	counts  *window.Counts
	pending *window.Pending
	absence *supervision
}

// supervision is an absence rule's state: a deadline per device that has
// spoken, and the devices declared offline and not back yet.
type supervision struct {
	deadlines *window.Deadlines
	offline   map[string]struct{}
	lastSeen  map[string]int64
}

func newRuleState(c *compiled, maxKeys int) (*ruleState, error) {
	switch {
	case c.Count != nil:
		w, err := window.NewCounts(c.Count.AtLeast, time.Duration(c.Count.Within), maxKeys)
		return &ruleState{counts: w}, err
	case c.Sequence != nil:
		p, err := window.NewPending(time.Duration(c.Sequence.Within), maxKeys)
		return &ruleState{pending: p}, err
	case c.Absence != nil:
		return &ruleState{absence: &supervision{deadlines: window.NewDeadlines(),
			offline: make(map[string]struct{}), lastSeen: make(map[string]int64)}}, nil
	}
	return nil, nil
}

func (s *ruleState) keys() int {
	switch {
	case s.counts != nil:
		return s.counts.Len()
	case s.pending != nil:
		return s.pending.Len()
	}
	return len(s.absence.lastSeen)
}

func (s *ruleState) dropped() uint64 {
	switch {
	case s.counts != nil:
		return s.counts.Dropped()
	case s.pending != nil:
		return s.pending.Dropped()
	}
	return 0
}

// silence is how long device may be silent before rule r declares it
// offline: the rule's fixed time, else the heartbeat times the factor.
func silence(r *compiled, dev *registry.Device) int64 {
	if r.Absence.After > 0 {
		return time.Duration(r.Absence.After).Milliseconds()
	}
	hb := registry.DefaultHeartbeat
	if dev != nil && dev.Heartbeat > 0 {
		hb = dev.Heartbeat
	}
	f := r.Absence.Factor
	if f == 0 {
		f = DefaultFactor
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
	s.deadlines.Arm(device, now+silence(r, dev))
}

// derived makes an event the gateway itself says about a device.
func derived(typ, device, rule string, at, now int64) event.Event {
	return event.Event{Device: device, Type: typ, TS: at, Received: now, Source: event.SourceGateway,
		Data: map[string]any{"rule": rule}}
}
