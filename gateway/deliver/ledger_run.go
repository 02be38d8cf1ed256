package deliver

import (
	"context"
	"slices"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// ledgerIdle bounds how long Run sleeps with nothing due, so that a clock
// that jumps is noticed.
const ledgerIdle = time.Minute

// unpublishedRetry is the wait before a page the broker did not take (it
// is not serving yet, or the link is down) is published again.
const unpublishedRetry = time.Second

// ledgerWriteEvery spaces Run's writes of changed pages.
const ledgerWriteEvery = 200 * time.Millisecond

// dirtyCount is how many pages changed since the last write.
func (l *Ledger) dirtyCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.dirty)
}

// Run writes what changed, reports outcomes, re-sends unconfirmed pages
// and falls back to SMS when they are due, until ctx is done; then it
// writes once more and returns nil.
func (l *Ledger) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	var lastWrite time.Time
	for {
		wait := l.due(ctx)
		if l.dirtyCount() > 0 {
			// Batched: one fsync per ledgerWriteEvery at most, so that
			// confirmations do not compete with the journal's fsyncs.
			if since := time.Since(lastWrite); since >= ledgerWriteEvery {
				if err := l.flush(context.WithoutCancel(ctx)); err != nil {
					l.log.Error("page ledger write failed; kept in memory, tried again", "err", err)
				}
				lastWrite = time.Now()
			} else {
				wait = min(wait, ledgerWriteEvery-since)
			}
		}
		l.sendReports(ctx)
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			if err := l.flush(context.WithoutCancel(ctx)); err != nil {
				l.log.Error("page ledger write on stop failed", "err", err)
			}
			return nil
		case <-l.wake:
		case <-timer.C:
		}
	}
}

// sendReports hands the outcomes gathered so far to their owner.
func (l *Ledger) sendReports(ctx context.Context) {
	l.mu.Lock()
	reps := l.reports
	l.reports = nil
	l.mu.Unlock()
	if l.cfg.Report == nil {
		return
	}
	for _, r := range reps {
		if err := l.cfg.Report(ctx, r); err != nil {
			if ctx.Err() != nil { // stopping: the next start reports them again from the file
				return
			}
			l.log.Warn("page outcome not reported", "page", r.PageID, "state", r.State, "err", err)
		}
	}
}

// resend is one page to send to the app again.
type resend struct {
	staff string
	note  event.Notification
}

// due re-sends, falls back and expires what is due, and returns how long
// until the next thing is.
func (l *Ledger) due(ctx context.Context) time.Duration {
	now := l.cfg.Now()
	nowMS := now.UnixMilli()
	next := nowMS + ledgerIdle.Milliseconds()
	var sends []resend
	var falls []*pageRecord
	l.mu.Lock()
	for id, r := range l.pages {
		if nowMS-r.QueuedMS >= l.cfg.Retention.Milliseconds() {
			if r.State != event.PageDelivered {
				l.m.pages.WithLabelValues(r.Channel, outcomeExpiredPg).Inc()
				l.log.Warn("page still not delivered after the retention; dropped", "page", id, "staff", r.Staff, "state", r.State)
			}
			delete(l.pages, id)
			delete(l.held, id)
			l.touch(id)
			continue
		}
		if r.State == event.PageDelivered {
			continue
		}
		if r.FallbackMS != 0 && r.State == event.PageQueued {
			if r.FallbackMS <= nowMS {
				r.FallbackMS = 0
				l.touch(id)
				falls = append(falls, r)
			} else {
				next = min(next, r.FallbackMS)
			}
		}
		if !l.appPage(r) {
			continue
		}
		if r.NextMS > nowMS {
			next = min(next, r.NextMS)
			continue
		}
		r.Attempts++
		r.NextMS = nowMS + l.resend.Delay(r.Attempts+1).Milliseconds()
		next = min(next, r.NextMS)
		if l.held[id] > 0 {
			continue // the broker resends it to the client itself
		}
		r.SentMS = nowMS
		l.touch(id)
		sends = append(sends, resend{staff: r.Staff, note: r.Note})
	}
	l.mu.Unlock()
	slices.SortFunc(sends, func(a, b resend) int { return int(a.note.RaisedMS - b.note.RaisedMS) })
	for _, s := range sends {
		if err := l.cfg.App.Notify(ctx, s.staff, s.note); err != nil {
			// The broker is not up (yet): try again soon, not a try.
			l.log.Warn("page re-send not published", "page", s.note.PageID, "staff", s.staff, "err", err)
			l.mu.Lock()
			if r := l.pages[s.note.PageID]; r != nil {
				r.NextMS = nowMS + unpublishedRetry.Milliseconds()
				next = min(next, r.NextMS)
			}
			l.mu.Unlock()
			continue
		}
		l.m.pages.WithLabelValues(event.PageApp, outcomeResent).Inc()
	}
	for _, r := range falls {
		l.fallBack(ctx, r)
	}
	return time.Duration(max(next-l.cfg.Now().UnixMilli(), 1)) * time.Millisecond
}

// appPage says whether the page is (also) waiting for the app: every page
// that went to the app, until it is delivered (an SMS fallback does not
// stop the app from getting it too).
func (l *Ledger) appPage(r *pageRecord) bool { return r.OnApp }

// fallBack hands a page the app did not confirm in time to SMS, where the
// person has a phone number and SMS is configured; otherwise it stays
// pending for the app.
func (l *Ledger) fallBack(ctx context.Context, r *pageRecord) {
	l.mu.Lock()
	staff, note, state := r.Staff, r.Note, r.State
	l.mu.Unlock()
	if state != event.PageQueued {
		return
	}
	if why := l.noFallback(staff, l.order(staff), event.PageApp); why != "" {
		// No other channel: the page stays with the app, which keeps
		// getting it until it confirms. A site without SMS, or a person
		// who takes no SMS, is a choice, not a fault; a missing phone
		// number where SMS is set up is worth a warning.
		log := l.log.Info
		if l.cfg.SMS != nil && !l.cfg.HasPhone(staff) {
			log = l.log.Warn
		}
		log("page not confirmed by the phone app in time; no SMS to fall back to, so it stays with the app and is re-sent until confirmed",
			"page", note.PageID, "staff", staff, "after", l.cfg.FallbackAfter, "why", why)
		return
	}
	if err := l.queueSMS(ctx, staff, note); err != nil {
		l.log.Error("page not confirmed in time and the SMS fallback failed; it stays pending", "page", note.PageID, "staff", staff, "err", err)
		return
	}
	now := l.cfg.Now().UnixMilli()
	l.mu.Lock()
	defer l.mu.Unlock()
	if r.State != event.PageQueued { // confirmed meanwhile
		return
	}
	r.State, r.Channel = event.PageFallenBack, event.PageSMS
	l.touch(r.ID)
	rep := r.report(event.PageFallenBack, now)
	rep.Note = "app did not confirm within " + l.cfg.FallbackAfter.String()
	l.reports = append(l.reports, rep)
	l.m.pages.WithLabelValues(event.PageSMS, outcomeFallenBack).Inc()
	l.log.Info("page falls back to SMS: the app did not confirm it in time", "page", r.ID, "staff", staff, "after", l.cfg.FallbackAfter)
	l.poke()
}
