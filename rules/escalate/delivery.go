package escalate

import (
	"github.com/gridwatch/gridwatch/gateway/event"
)

// Delivery: the Notifier may be a PageTracker (the delivery ledger). A
// page then counts as delivered only once the person's client confirmed
// it; the ledger reports that (and fallbacks, failures) through
// Desk.Report, and the owner writes it on the alarm here, so the desk
// stays the one owner of alarms.

// reportBurst applies r and whatever other page news is queued, up to a
// burst, and stores it with the next save within checkpointEvery (not at
// once: the ledger keeps the news durably and reports it again after a
// restart, and an fsync per confirmation would compete with the
// journal's).
func (o *owner) reportBurst(r event.PageReport) {
	o.report(r)
	for range burst - 1 {
		select {
		case r := <-o.d.reports:
			o.report(r)
		default:
			o.saveSoon()
			return
		}
	}
	o.saveSoon()
}

// saveSoon schedules a save of what changed, unless one is due already.
func (o *owner) saveSoon() {
	if len(o.dirty) > 0 && o.flushAt == 0 {
		o.flushAt = o.d.cfg.Now().Add(checkpointEvery).UnixMilli()
	}
}

// report applies news of one page to its alarm.
func (o *owner) report(r event.PageReport) {
	a := o.open[r.AlarmID]
	if a == nil {
		a = o.unstored(r.AlarmID) // closed, not stored yet
	}
	if a == nil {
		// Closed (its pages are done with), or not raised yet: a report the
		// ledger repeats at start may come before the journal's replay
		// raises the alarm again.
		if st, ok, err := o.d.cfg.Store.Get(r.AlarmID); err == nil && ok && st.State.Closed() {
			o.pagesDone(r.AlarmID)
		}
		o.d.log.Debug("page report for an alarm not held open; dropped", "alarm", r.AlarmID, "page", r.PageID, "state", r.State)
		return
	}
	if !a.ApplyPage(r) {
		return
	}
	if r.State != event.PageQueued {
		o.d.log.Info("page "+string(r.State), "alarm", a.ID, "staff", r.Staff, "step", r.Step, "channel", r.Channel, "page", r.PageID)
	}
	o.changed(a)
}

// pagesDone tells the ledger an alarm is closed: its pending pages are given up.
func (o *owner) pagesDone(alarmID string) {
	if t, ok := o.d.cfg.Notifier.(PageTracker); ok {
		t.AlarmClosed(alarmID)
	}
}
