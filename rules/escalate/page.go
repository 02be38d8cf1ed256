package escalate

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Paging limits.
const (
	// lateGrace is how far past its deadline a step may go out and still
	// not count as Late (timer and queue jitter).
	lateGrace = time.Second
	// maxAttempts bounds the tries to page one staff member for one alarm.
	maxAttempts = 6
	// retryBase and retryMax shape the backoff between tries: 2 s, 4 s, 8 s,
	// 16 s, 32 s (about a minute in all).
	retryBase = 2 * time.Second
	retryMax  = time.Minute
)

// advance sends every step of an escalating alarm that is due at now, in
// order (steps fired past their deadline are Late), and schedules the next
// one. It reports whether it sent anything.
func (o *owner) advance(a *alarm.Alarm, now time.Time) bool {
	steps := o.d.cfg.Policies[a.Severity].Steps
	nowMS := now.UnixMilli()
	sent := false
	flat := o.inEmergency(o.d.registry(), a) // emergency: every step now, none late
	for a.Escalating() {
		next := a.Step + 1
		if next >= len(steps) {
			a.NextDeadlineMS = 0
			break
		}
		dueMS := a.RaisedMS + steps[next].After.Milliseconds()
		if dueMS > nowMS && !flat {
			a.NextDeadlineMS = dueMS
			o.due.push(due{at: dueMS, kind: dueStep, alarm: a.ID, step: next})
			break
		}
		o.sendStep(a, steps, next, !flat && nowMS-dueMS > lateGrace.Milliseconds(), nowMS)
		sent = true
	}
	return sent
}

// sendStep pages the staff of step i that were not paged for this alarm
// before, and records it on the timeline.
func (o *owner) sendStep(a *alarm.Alarm, steps []Step, i int, late bool, nowMS int64) {
	reg := o.d.registry()
	who := o.recipients(reg, a, steps[i])
	a.Step = i
	n := o.notification(reg, a, steps, i, late)
	if len(a.Notified) == 0 && len(who) > 0 {
		o.observe(o.d.m.latency.firstPage, a, nowMS)
	}
	a.Timeline = append(a.Timeline, alarm.Entry{At: nowMS, Kind: alarm.EntryNotified, Step: i, Staff: who, Late: late})
	for _, id := range who {
		a.Notified = append(a.Notified, id)
		o.page(a, id, withPage(n, PageID(a.ID, i, id)), 0, nowMS)
	}
	if len(who) > 0 {
		o.armRepeat(a, i)
	}
	o.d.m.steps.WithLabelValues(string(a.Severity), strconv.Itoa(i), strconv.FormatBool(late)).Inc()
	if len(who) == 0 {
		o.d.log.Warn("escalation step pages nobody new", "alarm", a.ID, "step", i, "grid", a.Grid)
	}
}

// recipients resolves a step to staff ids: for each role the staff of the
// nearest cell at or above the alarm's cell that has someone in it, then
// the named staff; without anyone already paged for the alarm.
func (o *owner) recipients(reg *registry.Registry, a *alarm.Alarm, st Step) []string {
	var who []string
	add := func(id string) {
		if !slices.Contains(a.Notified, id) && !slices.Contains(who, id) {
			who = append(who, id)
		}
	}
	for _, role := range st.Roles {
		_, staff := reg.Nearest(a.Grid, role)
		for _, s := range staff {
			add(s.ID)
		}
	}
	for _, gid := range st.Groups {
		g, ok := reg.Group(gid)
		if !ok {
			o.d.log.Warn("escalation policy names a group missing from the registry", "group", gid, "alarm", a.ID)
			continue
		}
		for _, id := range g.Staff {
			add(id)
		}
	}
	for _, id := range st.Staff {
		if _, ok := reg.Staff(id); !ok {
			o.d.log.Warn("escalation policy names staff missing from the registry", "staff", id, "alarm", a.ID)
			continue
		}
		add(id)
	}
	return who
}

// notification is what step i of the alarm tells each person paged.
func (o *owner) notification(reg *registry.Registry, a *alarm.Alarm, steps []Step, i int, late bool) event.Notification {
	n := event.Notification{
		AlarmID:  a.ID,
		Rule:     a.Rule,
		Severity: a.Severity,
		Title:    a.Title,
		Device:   a.Device,
		Grid:     a.Grid,
		Step:     i,
		RaisedMS: a.RaisedMS,
		EventMS:  a.EventMS,
		Clip:     a.Clip,
		Count:    a.Count,
		Late:     late,
	}
	if i+1 < len(steps) {
		n.DeadlineMS = a.RaisedMS + steps[i+1].After.Milliseconds()
	}
	if a.Location != nil {
		l := *a.Location
		n.Location = &l
	}
	if dev, ok := reg.Device(a.Device); ok {
		n.DeviceName = dev.Name
	}
	if g, ok := reg.Grid(a.Grid); ok {
		n.GridName = g.Name
	}
	return n
}

// page sends one notification. A failure is logged, counted, and retried
// later with backoff while the alarm escalates, up to maxAttempts tries.
// It reports whether the alarm changed (its list of undelivered pages, or
// a fallback channel on its timeline).
func (o *owner) page(a *alarm.Alarm, staff string, n event.Notification, attempt int, nowMS int64) bool {
	ctx, cancel := context.WithTimeout(o.ctx, o.d.cfg.NotifyTimeout)
	channel, err := o.notify(ctx, staff, n)
	cancel()
	_, was := a.Undelivered[staff]
	if err == nil {
		o.d.m.notifications.WithLabelValues(channel, "ok").Inc()
		delete(a.Undelivered, staff)
		state := event.PageQueued
		if channel != PrimaryChannel {
			state = event.PageFallenBack // went to SMS at once; the fallback entry follows
		}
		a.Paged(n.PageID, staff, n.Step, pageChannel(channel), state, nowMS)
		if channel != PrimaryChannel {
			a.Timeline = append(a.Timeline, alarm.Entry{At: nowMS, Kind: alarm.EntryFallback, By: staff, Channel: channel, Step: n.Step})
			return true
		}
		return was
	}
	o.d.m.notifications.WithLabelValues(channel, "error").Inc()
	if attempt+1 >= maxAttempts {
		delete(a.Undelivered, staff)
		o.d.log.Error("page failed; giving up", "alarm", a.ID, "staff", staff, "step", n.Step,
			"attempts", attempt+1, "err", err)
		return was
	}
	wait := min(retryBase<<attempt, retryMax)
	o.d.log.Warn("page failed; will retry", "alarm", a.ID, "staff", staff, "step", n.Step,
		"attempt", attempt+1, "retry_in", wait, "err", err)
	if a.Undelivered == nil {
		a.Undelivered = make(map[string]int)
	}
	a.Undelivered[staff] = n.Step
	o.due.push(due{at: nowMS + wait.Milliseconds(), kind: dueRetry, alarm: a.ID, staff: staff, attempt: attempt + 1})
	return !was
}

// notify pages through the Notifier, asking which channel took the page
// when it can tell.
func (o *owner) notify(ctx context.Context, staff string, n event.Notification) (string, error) {
	if cn, ok := o.d.cfg.Notifier.(ChannelNotifier); ok {
		ch, err := cn.NotifyVia(ctx, staff, n)
		if ch == "" {
			ch = PrimaryChannel
		}
		return ch, err
	}
	return PrimaryChannel, o.d.cfg.Notifier.Notify(ctx, staff, n)
}

// fire handles one deadline that has come; stale ones are dropped.
func (o *owner) fire(d due, now time.Time) {
	a := o.open[d.alarm]
	if a == nil {
		return
	}
	switch d.kind {
	case dueArrive:
		o.fireArrive(a, d, now)
		return
	case dueTestEnd:
		o.fireTestEnd(a, now)
		return
	}
	if !a.Escalating() {
		return
	}
	switch d.kind {
	case dueRepeat:
		o.fireRepeat(a, d, now)
	case dueStep:
		if a.Step+1 != d.step || a.NextDeadlineMS != d.at {
			return
		}
		if o.advance(a, now) {
			o.changed(a)
		}
	case dueRetry:
		step, ok := a.Undelivered[d.staff]
		if !ok {
			return
		}
		steps := o.d.cfg.Policies[a.Severity].Steps
		late := false
		if step < len(steps) {
			late = now.UnixMilli()-(a.RaisedMS+steps[step].After.Milliseconds()) > lateGrace.Milliseconds()
		}
		n := withPage(o.notification(o.d.registry(), a, steps, step, late), PageID(a.ID, step, d.staff))
		if o.page(a, d.staff, n, d.attempt, now.UnixMilli()) {
			o.changed(a)
		}
	}
}

// PageID names the page of step of an alarm to one person. It is the same
// every time that page is made, so a step re-sent after a crash (the
// journal replays the raise) is the same page to the delivery ledger and
// to the phone, which drop the second copy.
func PageID(alarmID string, step int, staff string) string {
	return alarmID + "." + strconv.Itoa(step) + "." + staff
}

// withPage is n named as page id.
func withPage(n event.Notification, id string) event.Notification {
	n.PageID = id
	return n
}

// pageChannel names a Notifier's channel as an alarm's page shows it.
func pageChannel(ch string) string {
	if ch == PrimaryChannel || ch == "" {
		return event.PageApp
	}
	return ch
}
