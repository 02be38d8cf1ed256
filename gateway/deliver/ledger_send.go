package deliver

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Notify pages staffID; see NotifyVia.
func (l *Ledger) Notify(ctx context.Context, staffID string, n event.Notification) error {
	_, err := l.NotifyVia(ctx, staffID, n)
	return err
}

// NotifyVia sends a page to staffID over the first of their channels and
// records it as queued; a page with an id the ledger already holds (a
// raise replayed after a crash) is not queued again. It returns "" for the
// app and "sms" when the page went to SMS at once (a person who takes
// texts first, or whose app the broker knows is not connected). An error
// means no channel could take the page and it is not recorded.
func (l *Ledger) NotifyVia(ctx context.Context, staffID string, n event.Notification) (string, error) {
	if staffID == "" {
		return "", errors.New("page ledger: notify: empty staff id")
	}
	if n.PageID == "" {
		n.PageID = anonymousPageID(staffID, n)
	}
	nowMS := l.cfg.Now().UnixMilli()
	order := l.order(staffID)
	first := order[0]
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return "", fmt.Errorf("page ledger: notify %s: %w", staffID, ErrClosed)
	}
	if r := l.pages[n.PageID]; r != nil {
		if r.State != event.PageQueued { // tell the sender again: its copy of the page is new
			l.reports = append(l.reports, r.report(r.State, r.changedMS()))
			l.poke()
		}
		ch, state := r.Channel, r.State
		l.mu.Unlock()
		l.m.pages.WithLabelValues(ch, outcomeDuplicate).Inc()
		l.log.Debug("page already in the ledger; not queued again", "page", n.PageID, "staff", staffID, "state", state)
		if ch == event.PageSMS && first != event.PageSMS {
			return event.PageSMS, nil
		}
		return "", nil
	}
	r := &pageRecord{ID: n.PageID, Staff: staffID, Note: n, Channel: first, State: event.PageQueued,
		QueuedMS: nowMS, SentMS: nowMS, NextMS: nowMS + l.resend.Delay(1).Milliseconds(),
		FallbackMS: nowMS + l.cfg.FallbackAfter.Milliseconds()}
	l.pages[r.ID] = r // before the publish: a fast acknowledgement must find it
	l.mu.Unlock()

	channel, err := l.sendFirst(ctx, r, first, order)
	if err != nil {
		l.mu.Lock()
		delete(l.pages, r.ID)
		l.mu.Unlock()
		return "", err
	}
	l.mu.Lock()
	l.touch(r.ID)
	l.created = l.changes
	ch := r.Channel
	l.mu.Unlock()
	l.m.pages.WithLabelValues(ch, outcomeQueued).Inc()
	if l.cfg.Webhook != nil {
		if werr := l.cfg.Webhook.Notify(ctx, staffID, n); werr != nil {
			l.log.Error("page not queued for the webhook", "page", n.PageID, "staff", staffID, "err", werr)
		}
	}
	l.poke()
	return channel, nil
}

// sendFirst puts a new page on its first channel. An app page that the
// broker did not take stays queued and is re-sent soon; one to an app the
// broker knows is away falls back to SMS at once when it can.
func (l *Ledger) sendFirst(ctx context.Context, r *pageRecord, first string, order []string) (string, error) {
	if first == event.PageSMS {
		if err := l.queueSMS(ctx, r.Staff, r.Note); err == nil {
			l.mu.Lock()
			r.FallbackMS = 0 // SMS is this person's first channel: nothing to fall back to
			l.mu.Unlock()
			return event.PageSMS, nil
		} else if !slices.Contains(order, event.PageApp) {
			return "", fmt.Errorf("page %s to %s: %w", r.ID, r.Staff, err)
		} else {
			// Said as it is: with no SMS gateway at all this is the site's
			// setup, not a failure of this page.
			log := l.log.Warn
			if l.cfg.SMS == nil {
				log = l.log.Info
			}
			log("page goes to the phone app: SMS is this person's first channel but cannot take it",
				"page", r.ID, "staff", r.Staff, "why", err)
			l.mu.Lock()
			r.Channel = event.PageApp
			l.mu.Unlock()
		}
	}
	l.mu.Lock()
	r.OnApp = true
	l.mu.Unlock()
	if err := l.cfg.App.Notify(ctx, r.Staff, r.Note); err != nil {
		l.log.Warn("page not published; it stays queued and is re-sent", "page", r.ID, "staff", r.Staff, "err", err)
		l.mu.Lock()
		r.NextMS = r.QueuedMS + unpublishedRetry.Milliseconds()
		l.mu.Unlock()
	}
	if l.cfg.Listening == nil || l.cfg.Listening(r.Staff) || !l.canFallBack(r.Staff, order, event.PageApp) {
		return "", nil
	}
	if err := l.queueSMS(ctx, r.Staff, r.Note); err != nil {
		l.log.Warn("phone app not connected and the SMS fallback failed; the page waits for the app", "page", r.ID, "staff", r.Staff, "err", err)
		return "", nil
	}
	l.mu.Lock()
	r.State, r.Channel, r.FallbackMS = event.PageFallenBack, event.PageSMS, r.QueuedMS
	l.mu.Unlock()
	l.log.Info("page falls back to SMS: phone app not connected", "page", r.ID, "staff", r.Staff)
	return event.PageSMS, nil
}

// order is staffID's channels, known ones only, never empty.
func (l *Ledger) order(staffID string) []string {
	var out []string
	for _, c := range l.cfg.Channels(staffID) {
		if (c == event.PageApp || c == event.PageSMS) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		out = []string{event.PageApp}
	}
	return out
}

// canFallBack says whether a page on channel from can go on to SMS.
func (l *Ledger) canFallBack(staffID string, order []string, from string) bool {
	return l.noFallback(staffID, order, from) == ""
}

// noFallback says why a page on channel from cannot go on to SMS, or ""
// when it can.
func (l *Ledger) noFallback(staffID string, order []string, from string) string {
	i, j := slices.Index(order, from), slices.Index(order, event.PageSMS)
	switch {
	case l.cfg.SMS == nil:
		return "no SMS gateway configured (sms:)"
	case j <= i:
		return "SMS is not among the person's channels after " + from
	case !l.cfg.HasPhone(staffID):
		return "no phone number in the registry"
	}
	return ""
}

// queueSMS hands a page to the SMS outbox.
func (l *Ledger) queueSMS(ctx context.Context, staffID string, n event.Notification) error {
	switch {
	case l.cfg.SMS == nil:
		return errors.New("no SMS gateway configured (sms:)")
	case !l.cfg.HasPhone(staffID):
		return errors.New("no phone number in the registry")
	}
	if err := l.cfg.SMS.Notify(ctx, staffID, n); err != nil {
		return fmt.Errorf("queue SMS: %w", err)
	}
	return nil
}
