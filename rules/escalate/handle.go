package escalate

import (
	"fmt"
	"slices"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// submit applies one journaled event's triggers in order.
func (o *owner) submit(s submission) {
	if s.ev.ID <= o.applied {
		o.d.log.Debug("event already applied; skipped", "event", s.ev.ID, "checkpoint", o.applied)
		return
	}
	now := o.d.cfg.Now()
	for _, t := range s.triggers {
		if t.Event.ID == 0 { // a trigger made without its event
			t.Event = s.ev
		}
		if t.Clear {
			o.clearAlarm(t, now)
		} else {
			o.raise(t, now)
		}
	}
	o.applied = s.ev.ID
}

// raise joins the open alarm of (rule, device) or opens a new one and
// sends its first step at once.
func (o *owner) raise(t event.Trigger, now time.Time) {
	nowMS := now.UnixMilli()
	if a := o.byKey[alarmKey{t.Rule, t.Device}]; a != nil && !o.endTestFor(a, t, now) {
		wasMuted := a.Muted != ""
		a.Join(t, nowMS)
		if wasMuted && a.Muted == "" {
			o.d.log.Info("alarm unmuted", "alarm", a.ID, "rule", a.Rule, "device", a.Device)
			o.advance(a, now)
		}
		o.changed(a)
		return
	}
	var grid string
	var loc *event.Location
	if dev, ok := o.d.registry().Device(t.Device); ok {
		grid, loc = dev.Grid, dev.Location
	} else {
		o.d.log.Warn("alarm on a device missing from the registry; only named staff can be paged",
			"rule", t.Rule, "device", t.Device)
	}
	// The id is made from when the raising event was received, not from
	// now: a raise replayed from the journal after a crash that came
	// between the first page and the store (pages go out first) gets the
	// id the staff were already paged with, so their ack still finds it.
	idMS := t.Event.Received
	if idMS == 0 {
		idMS = nowMS
	}
	a := alarm.Raise(o.ids.Next(idMS), t, grid, loc, nowMS)
	o.planClips(a, t, nowMS)
	o.open[a.ID] = a
	o.byKey[alarmKey{a.Rule, a.Device}] = a
	o.d.m.raised.WithLabelValues(string(a.Severity), a.Rule).Inc()
	o.d.m.open.WithLabelValues(string(a.Severity)).Inc()
	o.d.log.Info("alarm raised", "alarm", a.ID, "rule", a.Rule, "severity", a.Severity,
		"device", a.Device, "grid", a.Grid, "event", t.Event.ID, "muted", a.Muted, "test", a.Test)
	o.advance(a, now)
	o.armTestEnd(a)
	o.changed(a)
}

// clearAlarm closes the open alarm of (rule, device), if there is one.
func (o *owner) clearAlarm(t event.Trigger, now time.Time) {
	a := o.byKey[alarmKey{t.Rule, t.Device}]
	if a == nil {
		return
	}
	a.Clear(t, now.UnixMilli())
	o.d.log.Info("alarm cleared", "alarm", a.ID, "rule", a.Rule, "device", a.Device, "event", t.Event.ID)
	o.changed(a)
}

// act applies a staff action and answers the caller once it is stored
// (a failed save is logged and retried; the action stands).
func (o *owner) act(r actRequest) {
	a, err := o.applyAction(r)
	if err != nil {
		r.reply <- actReply{err: err}
		return
	}
	o.waiting = append(o.waiting, pendingReply{reply: r.reply, a: a.Clone()})
	o.saveNow()
}

func (o *owner) applyAction(r actRequest) (*alarm.Alarm, error) {
	act := r.act
	a, live, err := o.find(act.AlarmID)
	if err != nil {
		return nil, err
	}
	if err := o.authorize(a, r.who); err != nil {
		o.audit(alarm.AuditRecord{At: o.d.cfg.Now().UnixMilli(), Kind: alarm.AuditRefused, By: act.By,
			Action: string(act.Kind), Alarm: a.ID, Grid: a.Grid, Reason: err.Error()})
		return nil, err
	}
	if act.At == 0 {
		act.At = o.d.cfg.Now().UnixMilli()
	}
	if !live { // closed: Apply refuses it and says why
		if err := a.Clone().Apply(act); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("alarm %s: not open, but not held by the desk: %w", a.ID, alarm.ErrTransition)
	}
	if err := a.Apply(act); err != nil {
		return nil, err
	}
	o.observeAction(a, act)
	o.armArrive(a)
	o.d.log.Info("alarm action", "alarm", a.ID, "action", act.Kind, "by", act.By, "channel", act.Channel,
		"state", a.State)
	o.changed(a)
	return a, nil
}

// find looks an alarm up: open ones in memory (live), closed ones not yet
// stored, then the store.
func (o *owner) find(id string) (a *alarm.Alarm, live bool, err error) {
	if a := o.open[id]; a != nil {
		return a, true, nil
	}
	if a := o.unstored(id); a != nil {
		return a, false, nil
	}
	a, ok, err := o.d.cfg.Store.Get(id)
	if err != nil {
		return nil, false, fmt.Errorf("alarm %s: %w", id, err)
	}
	if !ok {
		return nil, false, fmt.Errorf("alarm %s: %w", id, ErrNotFound)
	}
	return a, false, nil
}

// authorize checks permit.Act: a caller may act who was paged for the
// alarm or who serves its cell or a cell above it.
func (o *owner) authorize(a *alarm.Alarm, who permit.Caller) error {
	t := permit.Target{Grid: a.Grid, Paged: slices.Contains(a.Notified, who.ID)}
	if err := permit.Check(o.d.registry(), who, permit.Act, t); err != nil {
		return fmt.Errorf("alarm %s: %v: %w", a.ID, err, ErrForbidden)
	}
	return nil
}

// changed publishes the alarm's new state to readers and the Board, marks
// it for the next save, and retires it if it closed.
func (o *owner) changed(a *alarm.Alarm) {
	c := a.Clone()
	o.d.view.put(c)
	o.board.put(*c)
	o.dirty[a.ID] = a
	if a.State.Closed() && o.open[a.ID] == a {
		delete(o.open, a.ID)
		if k := (alarmKey{a.Rule, a.Device}); o.byKey[k] == a {
			delete(o.byKey, k)
		}
		o.d.m.open.WithLabelValues(string(a.Severity)).Dec()
		o.pagesDone(a.ID)
	}
}
