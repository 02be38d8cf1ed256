package journal

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/dirlock"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// DefaultSegmentBytes is the size at which a segment is closed and the next
// one begun, unless Options.SegmentBytes says otherwise.
const DefaultSegmentBytes = 64 << 20

// ErrClosed is returned by Append and Replay after Close.
var ErrClosed = errors.New("journal: closed")

// ErrBroken is wrapped by every error of a journal that failed to write or
// sync. A broken journal accepts nothing more; reopen it to recover.
var ErrBroken = errors.New("journal: broken by a write error")

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
	// OnDurable, if set, is given every batch once it is on disk, with the
	// events in ID order. Calls are never concurrent, batches arrive in
	// strictly increasing ID order, and each event is given exactly once.
	// It runs before the batch's appenders are released, on one of their
	// goroutines while no other batch can be written, so it must be quick
	// (hand off to a queue) and must not call Append or Close. The slice is
	// the callee's to keep; the events' Data maps are the appenders'.
	OnDurable func([]event.Event)
}

// Journal is an append-only, crash-safe log of events in a directory. All
// methods are safe for concurrent use.
type Journal struct {
	dir     string
	maxSeg  int64
	log     *slog.Logger
	met     *metrics
	durable func([]event.Event)
	lock    *dirlock.Lock

	// token is held (a value sent) by the one goroutine writing and syncing
	// a batch; the fields below marked "token" belong to its holder.
	token chan struct{}
	file  *os.File // token: the last segment, open for appending; nil before the first
	size  int64    // token: bytes in file
	dirty bool     // token: file has writes not yet synced

	// pruneMu keeps Prune from removing segments a Replay is reading.
	pruneMu sync.RWMutex

	mu     sync.Mutex
	segs   []segment // every segment, oldest first; the last is the one written
	next   uint64    // ID the next Append gets
	last   uint64    // ID of the last durable event
	cur    *batch    // events queued for the next write
	closed bool
	broken error
	onDisk int64 // bytes in all segments
}

// segment is one segment file: the ID of its first event and its size.
type segment struct {
	first uint64
	size  int64
}

// Open opens the journal in dir, creating dir if needed, and recovers from a
// crash: a torn or garbled last line of the last segment is truncated away
// and logged; a garbled line followed by valid lines is an error naming
// file:line. Open starts no goroutine. Only one Journal may have a directory
// open at a time.
func Open(dir string, opts Options) (*Journal, error) {
	if opts.SegmentBytes < 0 {
		return nil, fmt.Errorf("journal: SegmentBytes %d is negative", opts.SegmentBytes)
	}
	if opts.SegmentBytes == 0 {
		opts.SegmentBytes = DefaultSegmentBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := makeDir(dir); err != nil {
		return nil, err
	}
	lock, err := dirlock.Take(dir, "journal")
	if err != nil {
		return nil, err
	}
	j := &Journal{
		dir:     dir,
		maxSeg:  opts.SegmentBytes,
		log:     opts.Logger.With("component", "journal", "dir", dir),
		durable: opts.OnDurable,
		lock:    lock,
		met:     newMetrics(),
		token:   make(chan struct{}, 1),
		cur:     newBatch(),
	}
	if err := j.recover(); err != nil {
		j.closeFiles()
		return nil, err
	}
	j.next = j.last + 1
	if err := j.met.register(opts.Registerer); err != nil {
		j.closeFiles()
		return nil, err
	}
	j.met.onDisk.Set(float64(j.onDisk))
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

// Err returns nil while the journal can accept events, or the error wrapping
// ErrBroken that stopped it (for a readiness check).
func (j *Journal) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.broken
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
	broken := j.Err()
	return errors.Join(broken, j.closeFiles())
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
