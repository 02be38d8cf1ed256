package deliver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/boltfile"
	bolt "go.etcd.io/bbolt"
)

// Outbox defaults.
const (
	DefaultAttemptTimeout = 10 * time.Second
	DefaultMaxAge         = 24 * time.Hour
	DefaultWorkers        = 4
	// openTimeout bounds the wait for the file lock held by another
	// process (or another Outbox) on the same file.
	openTimeout = 5 * time.Second
)

// ErrClosed is returned by Notify after Close.
var ErrClosed = errors.New("outbox closed")

// bucketName holds the pending records.
var bucketName = []byte("pending")

// Config is what an Outbox needs. Path and Channel are required.
type Config struct {
	// Path of the bbolt file; one file per outbox (bbolt locks it).
	Path string
	// Channel sends the notifications (a Webhook, an SMS).
	Channel Channel
	// Backoff spaces the retries.
	Backoff Backoff
	// AttemptTimeout bounds one Send; 0 means DefaultAttemptTimeout.
	AttemptTimeout time.Duration
	// MaxAge drops a notification still undelivered this long after it was
	// queued; 0 means DefaultMaxAge.
	MaxAge time.Duration
	// Workers bounds the sends in flight at once; 0 means DefaultWorkers.
	Workers int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger may be nil (nothing logged).
	Logger *slog.Logger
	// Metrics may be nil (counted but not exported).
	Metrics *Metrics
	// Delivered, if set, is called from a worker after each successful
	// delivery (to put the channel on the alarm's timeline, say).
	Delivered func(staffID string, n event.Notification, channel string)
	// Failed, if set, is called from a worker when a notification is given
	// up (a permanent failure, or older than MaxAge), with the reason.
	Failed func(staffID string, n event.Notification, channel, reason string)
}

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("outbox: no path"))
	}
	if c.Channel == nil {
		errs = append(errs, errors.New("outbox: no channel"))
	} else if c.Channel.Name() == "" {
		errs = append(errs, errors.New("outbox: channel has no name"))
	}
	if c.AttemptTimeout < 0 || c.MaxAge < 0 || c.Workers < 0 {
		errs = append(errs, errors.New("outbox: attempt timeout, max age and workers must not be negative"))
	}
	if err := c.Backoff.validate(); err != nil {
		errs = append(errs, fmt.Errorf("outbox: %w", err))
	}
	return errors.Join(errs...)
}

// Outbox durably queues notifications for one Channel and delivers them
// from an owned worker. Open it, hand it to whoever pages (it is a
// Notifier), Run it, and Close it after Run has returned.
type Outbox struct {
	cfg     Config
	name    string
	db      *bolt.DB
	log     *slog.Logger
	m       *Metrics
	backoff Backoff

	wake chan struct{} // capacity 1: something new or finished

	mu       sync.Mutex
	pending  map[uint64]*record
	inflight map[uint64]bool
	closed   bool
}

var _ Notifier = (*Outbox)(nil)

// Open opens (or creates) the outbox file and loads what is pending in it.
// It starts nothing; Run delivers.
func Open(cfg Config) (*Outbox, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.AttemptTimeout == 0 {
		cfg.AttemptTimeout = DefaultAttemptTimeout
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	o := &Outbox{
		cfg:      cfg,
		name:     cfg.Channel.Name(),
		log:      cfg.Logger,
		m:        cfg.Metrics,
		backoff:  cfg.Backoff.withDefaults(),
		wake:     make(chan struct{}, 1),
		pending:  make(map[uint64]*record),
		inflight: make(map[uint64]bool),
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	o.log = o.log.With("channel", o.name)
	if o.m == nil {
		o.m, _ = NewMetrics(nil)
	}
	db, err := boltfile.OpenReplaceable(cfg.Path, 0o600, &bolt.Options{Timeout: openTimeout}, cfg.Now(), o.log,
		"the "+o.name+" outbox; notifications waiting in it are not sent")
	if err != nil {
		return nil, fmt.Errorf("outbox %s: open %s: %w", o.name, cfg.Path, err)
	}
	o.db = db
	if err := o.load(); err != nil {
		_ = db.Close()
		return nil, err
	}
	o.m.pending.WithLabelValues(o.name).Set(float64(len(o.pending)))
	return o, nil
}

// load reads every pending record; unreadable ones are logged, counted
// and deleted so that they do not block the rest.
func (o *Outbox) load() error {
	err := o.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketName)
		if err != nil {
			return err
		}
		var bad [][]byte
		err = b.ForEach(func(k, v []byte) error {
			seq, ok := keySeq(k)
			r, err := decodeRecord(v)
			if !ok || err != nil {
				o.log.Error("outbox record unreadable; dropped", "key", fmt.Sprintf("%x", k), "err", err)
				o.m.deliveries.WithLabelValues(o.name, outcomeCorrupt).Inc()
				bad = append(bad, append([]byte(nil), k...))
				return nil
			}
			o.pending[seq] = r
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
		return fmt.Errorf("outbox %s: load %s: %w", o.name, o.cfg.Path, err)
	}
	if n := len(o.pending); n > 0 {
		o.log.Info("outbox resumes pending deliveries", "pending", n)
	}
	return nil
}

// Notify stores the notification for staffID durably and returns; the
// worker started by Run delivers it. An error means it was not stored.
func (o *Outbox) Notify(ctx context.Context, staffID string, n event.Notification) error {
	if staffID == "" {
		return fmt.Errorf("outbox %s: notify: empty staff id", o.name)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("outbox %s: notify %s: %w", o.name, staffID, err)
	}
	nowMS := o.cfg.Now().UnixMilli()
	r := &record{Staff: staffID, Note: n, QueuedMS: nowMS, NextMS: nowMS}
	v, err := r.encode()
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return fmt.Errorf("outbox %s: notify %s: %w", o.name, staffID, ErrClosed)
	}
	var seq uint64
	err = o.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketName)
		var err error
		if seq, err = b.NextSequence(); err != nil {
			return err
		}
		return b.Put(seqKey(seq), v)
	})
	if err != nil {
		return fmt.Errorf("outbox %s: store notification for %s: %w", o.name, staffID, err)
	}
	o.pending[seq] = r
	o.m.pending.WithLabelValues(o.name).Set(float64(len(o.pending)))
	o.poke()
	return nil
}

// Pending reports how many notifications wait in the outbox (in flight
// included).
func (o *Outbox) Pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.pending)
}

// Close closes the file. Call it after Run has returned; Notify fails
// from now on.
func (o *Outbox) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	if err := o.db.Close(); err != nil {
		return fmt.Errorf("outbox %s: close: %w", o.name, err)
	}
	return nil
}

// poke wakes the worker without blocking.
func (o *Outbox) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}
