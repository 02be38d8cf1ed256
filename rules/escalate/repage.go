package escalate

import (
	"slices"
	"strconv"
	"time"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Re-paging: a step with a Repeat pages its staff again every Repeat while
// the alarm is open; a policy with ArriveWithin pages the chain of an
// acknowledged alarm again when nobody arrived in time. Both deadlines are
// worked out from the timeline (the last time those people were paged),
// so they survive a restart like the step deadlines do, and a deadline
// that no longer matches the timeline when it falls due is dropped.

// armRepeat schedules the next repeat of step i of an open alarm.
func (o *owner) armRepeat(a *alarm.Alarm, i int) {
	steps := o.d.cfg.Policies[a.Severity].Steps
	if i < 0 || i >= len(steps) || steps[i].Repeat <= 0 {
		return
	}
	if last, ok := lastPaged(a, i); ok {
		o.due.push(due{at: last + steps[i].Repeat.Milliseconds(), kind: dueRepeat, alarm: a.ID, step: i})
	}
}

// armArrive schedules the arrive deadline of an acknowledged alarm.
func (o *owner) armArrive(a *alarm.Alarm) {
	w := o.d.cfg.Policies[a.Severity].ArriveWithin
	if w <= 0 || a.State != alarm.Acknowledged {
		return
	}
	if base, _, ok := arriveBase(a); ok {
		o.due.push(due{at: base + w.Milliseconds(), kind: dueArrive, alarm: a.ID})
	}
}

// armRepages schedules every re-page an alarm loaded from the store has
// coming; those that fell due while the desk was down fire at once, once.
func (o *owner) armRepages(a *alarm.Alarm) {
	if a.Escalating() {
		for i := 0; i <= a.Step; i++ {
			o.armRepeat(a, i)
		}
	}
	o.armArrive(a)
}

// fireRepeat pages step d.step's staff of an open alarm again.
func (o *owner) fireRepeat(a *alarm.Alarm, d due, now time.Time) {
	steps := o.d.cfg.Policies[a.Severity].Steps
	last, ok := lastPaged(a, d.step)
	if !ok || d.step >= len(steps) || last+steps[d.step].Repeat.Milliseconds() != d.at {
		return // stale: the policy changed or the step was paged since
	}
	o.repage(a, stepStaff(a, d.step), d.step, alarm.RepageRepeat, now)
	o.armRepeat(a, d.step)
}

// fireArrive pages everyone paged for an acknowledged alarm, and the
// acknowledger, again because nobody is on scene yet.
func (o *owner) fireArrive(a *alarm.Alarm, d due, now time.Time) {
	w := o.d.cfg.Policies[a.Severity].ArriveWithin
	base, acker, ok := arriveBase(a)
	if a.State != alarm.Acknowledged || w <= 0 || !ok || base+w.Milliseconds() != d.at {
		return
	}
	who := slices.Clone(a.Notified)
	if _, ok := o.d.registry().Staff(acker); ok && !slices.Contains(who, acker) {
		who = append(who, acker)
	}
	o.repage(a, who, max(a.Step, 0), alarm.RepageNoArrival, now)
	o.armArrive(a)
}

// repage sends one notification of step i to each of who, without
// retries (the next re-page is the retry), and records it.
func (o *owner) repage(a *alarm.Alarm, who []string, i int, why string, now time.Time) {
	nowMS := now.UnixMilli()
	steps := o.d.cfg.Policies[a.Severity].Steps
	n := o.notification(o.d.registry(), a, steps, min(i, len(steps)-1), false)
	for _, id := range who {
		// A re-page is a new page: its own id, so the phone shows it again.
		o.page(a, id, withPage(n, PageID(a.ID, i, id)+".r"+strconv.FormatInt(nowMS, 10)), maxAttempts-1, nowMS)
	}
	a.Timeline = append(a.Timeline, alarm.Entry{At: nowMS, Kind: alarm.EntryRepaged, Step: i, Staff: who, Note: why})
	o.d.m.repages.WithLabelValues(string(a.Severity), why).Inc()
	o.d.log.Info("re-paged", "alarm", a.ID, "step", i, "why", why, "staff", who)
	o.changed(a)
}

// lastPaged is when step i's staff were last paged: the step itself or
// its latest repeat.
func lastPaged(a *alarm.Alarm, i int) (int64, bool) {
	for _, e := range slices.Backward(a.Timeline) {
		if e.Step == i && (e.Kind == alarm.EntryNotified || (e.Kind == alarm.EntryRepaged && e.Note == alarm.RepageRepeat)) {
			return e.At, true
		}
	}
	return 0, false
}

// stepStaff is whom step i paged when it was sent.
func stepStaff(a *alarm.Alarm, i int) []string {
	for _, e := range a.Timeline {
		if e.Kind == alarm.EntryNotified && e.Step == i {
			return e.Staff
		}
	}
	return nil
}

// arriveBase is when the arrive deadline runs from (the ack, or the last
// no-arrival re-page after it) and who acknowledged.
func arriveBase(a *alarm.Alarm) (at int64, acker string, ok bool) {
	var last int64
	found := false
	for _, e := range slices.Backward(a.Timeline) {
		switch {
		case e.Kind == alarm.EntryRepaged && e.Note == alarm.RepageNoArrival && !found:
			last, found = e.At, true
		case e.Kind == alarm.EntryAck:
			if !found {
				last = e.At
			}
			return last, e.By, true
		}
	}
	return 0, "", false
}
