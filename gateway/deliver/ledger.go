package deliver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"
)

// Ledger defaults.
const (
	DefaultFallbackAfter = 30 * time.Second
	DefaultResendBase    = 10 * time.Second
	DefaultResendMax     = 2 * time.Minute
	DefaultRetention     = 24 * time.Hour
)

// resendAfterLoad is when a page pending at start goes out again if the
// person's client has not come back by then (a broker that reports
// reconnects re-sends at the reconnect).
const resendAfterLoad = 5 * time.Second

// pagesBucket holds one record per page, keyed by page id.
var pagesBucket = []byte("pages")

// LedgerConfig is what a Ledger needs. Path and App are required.
type LedgerConfig struct {
	// Path of the bbolt file (pages.db in the data directory).
	Path string
	// App publishes a page to the person's phone app (MQTT QoS 1 on
	// R/staff/{id}/notify). Its success means only that the broker took it.
	App Notifier
	// Listening, if set, says whether the person's app is connected now
	// (the embedded broker knows; an external one does not: nil). A page
	// to an app that is not connected falls back to SMS at once.
	Listening func(staffID string) bool
	// SMS queues a text (an Outbox over the SMS gateway); nil: no SMS.
	// Tell the ledger of its outcome with Delivered and Failed.
	SMS Notifier
	// Channels is a person's channels in order (the registry's page
	// order); nil means app then SMS.
	Channels func(staffID string) []string
	// HasPhone says whether the person has a phone number for SMS.
	HasPhone func(staffID string) bool
	// Webhook, if set, gets a copy of every page (a signed audit feed).
	Webhook Notifier
	// FallbackAfter is how long a page may stay unconfirmed by the app
	// before it goes to SMS; 0 means DefaultFallbackAfter.
	FallbackAfter time.Duration
	// Resend spaces the re-sends of an unconfirmed app page; zero fields
	// mean DefaultResendBase and DefaultResendMax.
	Resend Backoff
	// Retention drops a record this long after its page was queued; 0
	// means DefaultRetention.
	Retention time.Duration
	// Report takes news of a page (delivered, fallen back, failed) to its
	// owner (the escalation desk, the broadcast service). It is called from
	// Run and may block while ctx lives.
	Report func(ctx context.Context, r event.PageReport) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger may be nil (nothing logged).
	Logger *slog.Logger
	// Registerer may be nil (metrics kept but not exported).
	Registerer prometheus.Registerer
}

// Validate reports every problem of the configuration at once.
func (c LedgerConfig) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("page ledger: no path"))
	}
	if c.App == nil {
		errs = append(errs, errors.New("page ledger: no app channel"))
	}
	if c.FallbackAfter < 0 || c.Retention < 0 {
		errs = append(errs, errors.New("page ledger: fallback_after and retention must not be negative"))
	}
	if err := c.Resend.validate(); err != nil {
		errs = append(errs, fmt.Errorf("page ledger: resend %w", err))
	}
	return errors.Join(errs...)
}

// Ledger is the durable record of every page to a person, from queued
// until that person's client confirmed it. It is the Notifier the
// escalation desk and the broadcast service page through:
//
//   - NotifyVia publishes the page to the person's app (or queues the SMS
//     for a person who takes texts first), records it in memory, and
//     returns; Sync makes everything recorded so far durable in one
//     transaction (group commit), and the desk calls it before it stores
//     the alarms that paged, so an alarm stored as paged always has its
//     pages in the ledger.
//   - A page is delivered only when the person's client confirmed it:
//     Delivered is called on the phone's MQTT acknowledgement (embedded
//     broker), its receipt on the reply topic, or the SMS gateway's 2xx.
//   - Until then it is pending: re-sent when the person's client connects
//     (Online), with backoff while unconfirmed, and after a restart; after
//     FallbackAfter it goes to SMS where the person has a phone number and
//     SMS is configured, else it stays pending (and visible) until it is
//     delivered or its alarm closes (AlarmClosed).
//
// Each outcome is reported back to whoever sent the page through Report.
type Ledger struct {
	cfg    LedgerConfig
	db     *bolt.DB
	log    *slog.Logger
	m      *ledgerMetrics
	resend Backoff

	wake chan struct{} // capacity 1
	sem  chan struct{} // capacity 1: one writer at a time (group commit)

	mu      sync.Mutex
	pages   map[string]*pageRecord
	dirty   map[string]bool // page ids changed (or removed) since the last write
	changes uint64          // counts changes; durable catches up with it
	// created is changes as of the last new page: Sync waits for that
	// much; later changes of state (delivered) are written by Run in
	// batches, since losing one only re-sends a page.
	created uint64
	reports []event.PageReport
	// held counts the copies of a page the broker holds for the person's
	// client until it acknowledges them (PageSent, PageDropped): the
	// broker resends those itself, so the ledger does not.
	held   map[string]int
	closed bool

	durable atomic.Uint64
}

var _ Notifier = (*Ledger)(nil)

// OpenLedger opens (or creates) the ledger file and loads the pages in
// it. It starts nothing; Run re-sends and reports.
func OpenLedger(cfg LedgerConfig) (*Ledger, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.FallbackAfter == 0 {
		cfg.FallbackAfter = DefaultFallbackAfter
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.Resend.Base == 0 {
		cfg.Resend.Base = DefaultResendBase
	}
	if cfg.Resend.Max == 0 {
		cfg.Resend.Max = max(DefaultResendMax, cfg.Resend.Base)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Channels == nil {
		cfg.Channels = func(string) []string { return []string{event.PageApp, event.PageSMS} }
	}
	if cfg.HasPhone == nil {
		cfg.HasPhone = func(string) bool { return false }
	}
	l := &Ledger{
		cfg:    cfg,
		log:    cfg.Logger,
		resend: cfg.Resend.withDefaults(),
		wake:   make(chan struct{}, 1),
		sem:    make(chan struct{}, 1),
		pages:  make(map[string]*pageRecord),
		dirty:  make(map[string]bool),
		held:   make(map[string]int),
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	m, err := newLedgerMetrics(cfg.Registerer, l.Pending)
	if err != nil {
		return nil, err
	}
	l.m = m
	db, err := bolt.Open(cfg.Path, 0o600, &bolt.Options{Timeout: openTimeout})
	if err != nil {
		return nil, fmt.Errorf("page ledger: open %s: %w", cfg.Path, err)
	}
	l.db = db
	if err := l.load(); err != nil {
		_ = db.Close()
		return nil, err
	}
	return l, nil
}

// load reads every record. Pending pages are due for a re-send: with a
// broker that reports reconnects (the embedded one) when the person's
// client comes back (Online; the broker resends what it kept itself), or
// after resendAfterLoad; otherwise at once. Every page is reported again
// as it stands, since the alarm that sent it may have been stored before
// the news reached it, or closed while the ledger did not hear of it (the
// desk then says so with AlarmClosed). Unreadable records are
// logged, counted and dropped.
func (l *Ledger) load() error {
	nowMS := l.cfg.Now().UnixMilli()
	var bad [][]byte
	err := l.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(pagesBucket)
		if err != nil {
			return err
		}
		err = b.ForEach(func(k, v []byte) error {
			r, err := decodePage(v)
			if err != nil || r.ID != string(k) {
				l.log.Error("page record unreadable; dropped", "key", string(k), "err", err)
				l.m.pages.WithLabelValues("", outcomeCorrupt).Inc()
				bad = append(bad, slices.Clone(k))
				return nil
			}
			l.pages[r.ID] = r
			l.reports = append(l.reports, r.report(r.State, r.changedMS()))
			if r.State != event.PageDelivered {
				r.NextMS = nowMS + resendAfterLoad.Milliseconds()
				if l.cfg.Listening == nil {
					r.NextMS = nowMS // no word of reconnects: send again at once
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range bad {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("page ledger: load %s: %w", l.cfg.Path, err)
	}
	if n := l.pendingCount(); n > 0 {
		l.log.Info("page ledger resumes pages not yet delivered", "pending", n, "pages", len(l.pages))
	}
	return nil
}

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
			l.log.Warn("page falls back to the app", "page", r.ID, "staff", r.Staff, "err", err)
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

// Delivered records that staffID's client confirmed page pageID over
// channel (app: the phone's acknowledgement or receipt; sms: the SMS
// gateway took it). A page of someone else, an unknown page and one
// already delivered are ignored.
func (l *Ledger) Delivered(staffID, pageID, channel string) {
	now := l.cfg.Now().UnixMilli()
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.pages[pageID]
	if r == nil || r.Staff != staffID || r.State == event.PageDelivered {
		return
	}
	r.State, r.Channel, r.DeliveredMS = event.PageDelivered, channel, now
	delete(l.held, pageID)
	l.touch(pageID)
	l.reports = append(l.reports, r.report(event.PageDelivered, now))
	l.m.pages.WithLabelValues(channel, outcomeDelivered).Inc()
	l.m.seconds.WithLabelValues(channel).Observe(max(0, float64(now-r.QueuedMS)/1e3))
	l.poke()
}

// Failed records that a fallback channel gave page pageID up (the SMS
// gateway refused it for good). The app page stays pending.
func (l *Ledger) Failed(staffID, pageID, channel, why string) {
	now := l.cfg.Now().UnixMilli()
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.pages[pageID]
	if r == nil || r.Staff != staffID || r.State == event.PageDelivered {
		return
	}
	r.State, r.Channel = event.PageFailed, channel
	l.touch(pageID)
	rep := r.report(event.PageFailed, now)
	rep.Note = why
	l.reports = append(l.reports, rep)
	l.m.pages.WithLabelValues(channel, outcomeFailed).Inc()
	l.poke()
}

// Online tells the ledger that staffID's app (re)connected: every page
// pending for that person that the broker does not hold for the client
// goes out again at once.
func (l *Ledger) Online(staffID string) {
	now := l.cfg.Now().UnixMilli()
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, r := range l.pages {
		if r.Staff == staffID && r.State != event.PageDelivered && r.OnApp && l.held[id] == 0 {
			r.NextMS = now
		}
	}
	l.poke()
}

// PageSent tells the ledger the broker sent page pageID to staffID's
// client and holds it until acknowledged (it resends it itself on a
// reconnect).
func (l *Ledger) PageSent(staffID, pageID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r := l.pages[pageID]; r != nil && r.Staff == staffID {
		l.held[pageID]++
	}
}

// PageDropped tells the ledger the broker gave a copy of page pageID up
// unacknowledged; the ledger sends it again when the client is back.
func (l *Ledger) PageDropped(staffID, pageID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[pageID] > 0 {
		l.held[pageID]--
	}
	if l.held[pageID] == 0 {
		delete(l.held, pageID)
	}
}

// PageAcked tells the ledger staffID's client acknowledged page pageID
// (its MQTT PUBACK): delivered through the app.
func (l *Ledger) PageAcked(staffID, pageID string) {
	l.Delivered(staffID, pageID, event.PageApp)
}

// StaffOnline is Online, as the broker reports it.
func (l *Ledger) StaffOnline(staffID string) { l.Online(staffID) }

// AlarmClosed gives up the pages of a closed alarm: they are no longer
// re-sent and their records are removed.
func (l *Ledger) AlarmClosed(alarmID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, r := range l.pages {
		if r.Note.AlarmID != alarmID || r.Note.Kind != "" {
			continue
		}
		if r.State != event.PageDelivered {
			l.m.pages.WithLabelValues(r.Channel, outcomeGivenUp).Inc()
		}
		delete(l.pages, id)
		delete(l.held, id)
		l.touch(id)
	}
	l.poke()
}

// Sync makes every page recorded so far durable: it returns once they are
// committed and fsync'd, in one transaction with whatever else changed
// (one writer at a time; a waiter finds its pages written by the one
// before it). Changes of state after that (delivered, fallen back) are
// written by Run within ledgerWriteEvery.
func (l *Ledger) Sync(ctx context.Context) error {
	l.mu.Lock()
	target := l.created
	l.mu.Unlock()
	return l.syncTo(ctx, target)
}

// flush writes every change so far (Run's batches, the last write).
func (l *Ledger) flush(ctx context.Context) error {
	l.mu.Lock()
	target := l.changes
	l.mu.Unlock()
	return l.syncTo(ctx, target)
}

// syncTo returns once changes up to target are durable.
func (l *Ledger) syncTo(ctx context.Context, target uint64) error {
	if l.durable.Load() >= target {
		return nil
	}
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("page ledger: sync: %w", ctx.Err())
	}
	defer func() { <-l.sem }()
	if l.durable.Load() >= target {
		return nil
	}
	return l.write()
}

// Pending reports how many pages are not delivered yet.
func (l *Ledger) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pendingCount()
}

// Page returns a copy of page id's record as the ledger holds it.
func (l *Ledger) Page(id string) (event.PageReport, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.pages[id]
	if r == nil {
		return event.PageReport{}, false
	}
	return r.report(r.State, r.changedMS()), true
}

// Close writes what is left and closes the file. Call it after Run has
// returned; Notify fails from now on.
func (l *Ledger) Close() error {
	l.sem <- struct{}{}
	defer func() { <-l.sem }()
	werr := l.write()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if err := l.db.Close(); err != nil {
		return fmt.Errorf("page ledger: close: %w", err)
	}
	return werr
}

// write stores every changed record in one transaction. The caller holds
// sem.
func (l *Ledger) write() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return fmt.Errorf("page ledger: write: %w", ErrClosed)
	}
	upto := l.changes
	puts := make(map[string][]byte, len(l.dirty))
	var encErr error
	for id := range l.dirty {
		r := l.pages[id]
		if r == nil {
			puts[id] = nil
			continue
		}
		v, err := r.encode()
		if err != nil {
			encErr = err // not retried: it cannot get better
			continue
		}
		puts[id] = v
	}
	clear(l.dirty)
	l.mu.Unlock()
	if encErr != nil {
		l.log.Error("page record not stored", "err", encErr)
	}
	if len(puts) == 0 {
		l.durable.Store(max(l.durable.Load(), upto))
		return nil
	}
	err := l.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(pagesBucket)
		for id, v := range puts {
			var err error
			if v == nil {
				err = b.Delete([]byte(id))
			} else {
				err = b.Put([]byte(id), v)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		l.mu.Lock()
		for id := range puts {
			l.dirty[id] = true
		}
		l.mu.Unlock()
		l.m.storeErrors.Inc()
		return fmt.Errorf("page ledger: store %d pages: %w", len(puts), err)
	}
	l.durable.Store(max(l.durable.Load(), upto))
	return nil
}

// touch marks page id changed. The caller holds mu.
func (l *Ledger) touch(id string) {
	l.dirty[id] = true
	l.changes++
}

// pendingCount counts pages not delivered. The caller holds mu (or owns
// the ledger alone).
func (l *Ledger) pendingCount() int {
	n := 0
	for _, r := range l.pages {
		if r.State != event.PageDelivered {
			n++
		}
	}
	return n
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
	i, j := slices.Index(order, from), slices.Index(order, event.PageSMS)
	return l.cfg.SMS != nil && j > i && l.cfg.HasPhone(staffID)
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

// poke wakes Run without blocking.
func (l *Ledger) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}
