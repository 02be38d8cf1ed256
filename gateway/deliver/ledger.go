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
	"github.com/gridwatch/gridwatch/internal/boltfile"
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
	db, err := boltfile.OpenReplaceable(cfg.Path, 0o600, &bolt.Options{Timeout: openTimeout}, cfg.Now(), l.log,
		"the page ledger; pages not yet confirmed are no longer re-sent (each alarm's timeline still lists its pages)")
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

// poke wakes Run without blocking.
func (l *Ledger) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}
