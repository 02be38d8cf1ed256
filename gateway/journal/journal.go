package journal

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/dirlock"
)

// DefaultSegmentBytes is the size at which a segment is closed and the next
// one begun, unless Options.SegmentBytes says otherwise.
const DefaultSegmentBytes = 64 << 20

// ErrClosed is returned by Append and Replay after Close.
var ErrClosed = errors.New("journal: closed")

// ErrBroken is wrapped by the error of every Append whose batch could not be
// written or synced (a full disk, a failing one). Those events are not
// durable and were never acknowledged. The journal is not latched: it cuts
// the failed batch off the segment and the next Append tries again, so it
// recovers by itself once the disk takes writes again; Err reports the
// failure until a write succeeds.
var ErrBroken = errors.New("journal: write failed")

// ReserveBlock is how many IDs the journal reserves through
// Options.Reserve at a time.
const ReserveBlock = 1 << 16

// Options configure a Journal. The zero value is usable.
type Options struct {
	// SegmentBytes is the size a segment may reach before the next event
	// starts a new one; 0 means DefaultSegmentBytes. A single event larger
	// than this gets a segment of its own.
	SegmentBytes int64
	// Logger receives recovery and failure messages; nil discards them.
	Logger *slog.Logger
	// Registerer receives the journal's metrics; nil leaves them
	// unregistered.
	Registerer prometheus.Registerer
	// Applied is the last event ID whose effects another store keeps (the
	// alarm store's checkpoint): events up to it existed and were
	// acknowledged. A journal that ends below it has lost events: Open logs
	// it as an error, counts it (gridwatch_journal_lost_events_total) and
	// carries on above it, so new events are never taken for old ones.
	Applied uint64
	// Reserved is the highest ID that may have been handed out in this data
	// directory, as last given to Reserve. IDs continue above it, so that an
	// ID never names two events in the life of the directory, even when the
	// journal lost its tail or was deleted.
	Reserved uint64
	// Reserve, if set, durably records that IDs up to through may be handed
	// out (or, at Close, that none above through were). The journal calls
	// it at Open, before it writes an ID beyond its reservation (ReserveBlock
	// IDs at a time), and at Close. A failed reservation is logged and
	// retried with the next batch; it never refuses an event.
	Reserve func(through uint64) error
	// Headroom is disk space kept allocated past the end of the segment
	// being written, without growing it (see headroom.go), so that appends
	// go on for that many bytes after the disk fills up. 0 means none.
	Headroom int64
	// Tail is how many of the latest durable events the journal keeps in
	// memory for Follow; 0 means DefaultTail. A follower further behind
	// reads from disk.
	Tail int
}

// DefaultTail is the number of recent events kept for followers when
// Options.Tail is 0.
const DefaultTail = 8192

// Journal is an append-only, crash-safe log of events in a directory. All
// methods are safe for concurrent use.
type Journal struct {
	dir     string
	maxSeg  int64
	log     *slog.Logger
	met     *metrics
	reserve func(uint64) error
	lock    *dirlock.Lock
	applied uint64 // Options.Applied

	// token is held (a value sent) by the one goroutine writing and syncing
	// a batch; the fields below marked "token" belong to its holder.
	token chan struct{}
	file  *os.File // token: the last segment, open for appending; nil before the first
	size  int64    // token: bytes in file
	dirty bool     // token: file has writes not yet synced
	// reserved is the highest ID reserved through Options.Reserve. token
	// (and Open, Close).
	reserved uint64
	// repair is set when a failed write left the last segment in an unknown
	// state: the next commit cuts it back to good before writing. token.
	repair bool
	good   segment // token: the last segment as it was last synced (first 0: none)
	// Headroom (headroom.go); token.
	headroom    int64 // Options.Headroom
	allocEnd    int64 // the last segment is allocated up to here
	headroomLow bool  // topping up failed; logged once
	noPrealloc  bool  // the filesystem cannot preallocate
	// reserveFailed: the last reservation failed; logged once. token.
	reserveFailed bool
	// failLoggedAt and failsUnlogged rate-limit the log of write failures. token.
	failLoggedAt  time.Time
	failsUnlogged int

	// pruneMu keeps Prune from removing segments a Replay is reading.
	pruneMu sync.RWMutex

	mu     sync.Mutex
	segs   []segment // every segment, oldest first; the last is the one written
	next   uint64    // ID the next Append gets
	last   uint64    // ID of the last durable event
	cur    *batch    // events queued for the next write
	closed bool
	failed error // the last write's error, nil once a write succeeds
	onDisk int64 // bytes in all segments
	// For followers (follow.go): the latest durable events, every one with
	// an ID above tailAfter, at most tailMax of them; grown is closed (and
	// replaced) when more become durable or the journal has ended.
	tail      ring
	tailAfter uint64
	tailMax   int
	grown     chan struct{}
	ended     bool // Close has written the last batch
}

// segment is one segment file: the ID of its first event and its size.
type segment struct {
	first uint64
	size  int64
}

// Open opens the journal in dir, creating dir if needed, and recovers from a
// crash: a torn or garbled last line of the last segment is truncated away
// and logged; a garbled line followed by valid lines is an error naming
// file:line. A journal that ends below Options.Applied (its tail or the
// whole directory lost) is logged as an error and counted, and IDs go on
// above Options.Applied and Options.Reserved. Open starts no goroutine. Only
// one Journal may have a directory open at a time.
func Open(dir string, opts Options) (*Journal, error) {
	if opts.SegmentBytes < 0 {
		return nil, fmt.Errorf("journal: SegmentBytes %d is negative", opts.SegmentBytes)
	}
	if opts.Headroom < 0 {
		return nil, fmt.Errorf("journal: Headroom %d is negative", opts.Headroom)
	}
	if opts.SegmentBytes == 0 {
		opts.SegmentBytes = DefaultSegmentBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Tail < 0 {
		return nil, fmt.Errorf("journal: Tail %d is negative", opts.Tail)
	}
	if opts.Tail == 0 {
		opts.Tail = DefaultTail
	}
	if err := makeDir(dir); err != nil {
		return nil, err
	}
	lock, err := dirlock.Take(dir, "journal")
	if err != nil {
		return nil, err
	}
	j := &Journal{
		dir:      dir,
		maxSeg:   opts.SegmentBytes,
		log:      opts.Logger.With("component", "journal", "dir", dir),
		tailMax:  opts.Tail,
		grown:    make(chan struct{}),
		reserve:  opts.Reserve,
		applied:  opts.Applied,
		lock:     lock,
		headroom: opts.Headroom,
		met:      newMetrics(),
		token:    make(chan struct{}, 1),
		cur:      newBatch(),
	}
	if err := j.recover(); err != nil {
		j.closeFiles()
		return nil, err
	}
	if err := j.met.register(opts.Registerer); err != nil {
		j.closeFiles()
		return nil, err
	}
	j.checkLoss()
	j.next = max(j.last, opts.Applied, opts.Reserved) + 1
	j.tailAfter = j.last
	if j.next != j.last+1 && j.last != 0 {
		j.log.Info("event IDs continue above the IDs this data directory handed out before",
			"journal_last_id", j.last, "next_id", j.next)
	}
	if j.reserve != nil {
		j.tryReserve(j.next - 1 + ReserveBlock)
	}
	if n := len(j.segs); n > 0 {
		j.good = j.segs[n-1]
	}
	j.ensureHeadroom()
	j.met.onDisk.Set(float64(j.onDisk))
	j.met.segments.Set(float64(len(j.segs)))
	j.met.lastID.Set(float64(j.last))
	return j, nil
}

// makeDir creates dir if it does not exist, durably.
func makeDir(dir string) error {
	if info, err := os.Stat(dir); err == nil {
		if !info.IsDir() {
			return fmt.Errorf("journal: %s is not a directory", dir)
		}
		return nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("journal: create directory: %w", err)
	}
	if err := syncDir(filepath.Dir(filepath.Clean(dir))); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// LastID returns the ID of the last durable event, 0 if there is none.
func (j *Journal) LastID() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.last
}

// Err returns nil while the journal writes, or the error (wrapping
// ErrBroken) of its last write when that failed and no write has succeeded
// since: for a readiness check. Append keeps trying meanwhile.
func (j *Journal) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.failed
}

// Close writes and syncs every queued event, closes the files and releases
// the directory. Append after Close returns ErrClosed; a second Close returns
// nil. Close returns the journal's error if it is broken.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	j.mu.Unlock()

	j.token <- struct{}{} // waits for at most the batch being written
	defer func() { <-j.token }()
	j.commit() // what was queued before closed was set
	j.end()
	failed := j.Err()
	var rerr error
	if j.reserve != nil {
		// Every ID handed out is on disk or was refused: the next start
		// may go on from here rather than from the reservation.
		j.mu.Lock()
		handed := j.next - 1
		j.mu.Unlock()
		rerr = j.reserveThrough(max(handed, j.applied))
	}
	return errors.Join(failed, rerr, j.closeFiles())
}

// closeFiles closes the segment being written and the directory lock.
func (j *Journal) closeFiles() error {
	var errs []error
	if j.file != nil {
		if err := j.file.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
			errs = append(errs, fmt.Errorf("journal: close segment: %w", err))
		}
		j.file = nil
	}
	if err := j.lock.Release(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
