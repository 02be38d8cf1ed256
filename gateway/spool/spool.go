package spool

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/gridwatch/gridwatch/gateway/dirlock"
)

// Errors of Append and the reader.
var (
	// ErrBufferFull is Append's answer when Buffer records (or BufferBytes)
	// already wait for fsync; the record is dropped and counted.
	ErrBufferFull = errors.New("spool: buffer full")
	// ErrClosed is returned once Close has been called.
	ErrClosed = errors.New("spool: closed")
)

// Spool is a durable queue of records in a directory. Build it with Open,
// run its timed fsync with Run, end it with Close. Append may be called
// from any goroutine; Next and Ack by one reader.
type Spool struct {
	dir    string
	opts   Options
	log    *slog.Logger
	m      metrics
	depth  atomic.Int64  // records appended and not acknowledged
	wake   chan struct{} // Append tells Run that records wait
	notify chan struct{} // a flush tells the reader that records are durable

	mu     sync.Mutex // guards the buffer; never held over I/O
	buf    []byte     // framed records waiting for fsync
	bufN   int        // how many
	closed bool       // Append refuses

	io       sync.Mutex    // guards the files and everything below
	segs     []segment     // in order; the last is the one appended to
	active   *os.File      // the last segment, open for writing; nil if none
	next     uint64        // sequence number of the next record written
	spare    []byte        // the buffer of the previous flush, for reuse
	cursor   uint64        // the first record not acknowledged
	rseg     uint64        // first record of the segment rpos is in
	rpos     int64         // the cursor's byte offset in segment rseg
	rvalid   bool          // rseg and rpos are known
	rf       *os.File      // a segment open for reading; nil if none
	rfFirst  uint64        // which one
	lock     *dirlock.Lock // the directory lock
	shedding bool          // the last write was refused for Options.MinFreeBytes
	ioClosed bool
}

// Open opens the spool in dir, creating dir if need be: it checks every
// segment, truncates a torn or corrupt tail (and logs it), reads the
// cursor and deletes the segments behind it. It starts nothing.
func Open(dir string, opts Options) (*Spool, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	lock, err := dirlock.Take(dir, "spool")
	if err != nil {
		return nil, err
	}
	s := &Spool{
		dir:    dir,
		opts:   opts,
		log:    opts.Logger.With("spool", opts.Name, "dir", dir),
		wake:   make(chan struct{}, 1),
		notify: make(chan struct{}, 1),
		lock:   lock,
	}
	if err := s.recover(); err != nil {
		s.closeFiles()
		return nil, err
	}
	m, err := newMetrics(opts.Registerer, opts.Name, func() float64 { return float64(s.depth.Load()) })
	if err != nil {
		s.closeFiles()
		return nil, err
	}
	s.m = m
	s.updateGauges()
	return s, nil
}

// Append queues a copy of rec for the next fsync and returns at once. It
// returns ErrBufferFull (and counts the drop) when the buffer is full,
// ErrClosed after Close, and an error for an empty record or one over
// MaxRecord.
func (s *Spool) Append(rec []byte) error {
	if len(rec) == 0 || len(rec) > MaxRecord {
		return fmt.Errorf("spool: append: record of %d bytes, want 1..%d", len(rec), MaxRecord)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.bufN >= s.opts.Buffer || int64(len(s.buf))+frameLen(len(rec)) > s.opts.BufferBytes {
		s.mu.Unlock()
		s.m.dropped.WithLabelValues(reasonBufferFull).Inc()
		return ErrBufferFull
	}
	half := s.opts.BufferBytes / 2
	crossed := int64(len(s.buf)) < half
	s.buf = appendFrame(s.buf, rec)
	crossed = crossed && int64(len(s.buf)) >= half
	s.bufN++
	n := s.bufN
	s.mu.Unlock()
	s.m.appended.Inc()
	s.depth.Add(1)
	if n == 1 || n == s.opts.SyncRecords || crossed {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// buffered returns how many records wait for fsync, and whether they are
// due for it: SyncRecords of them, or half of BufferBytes.
func (s *Spool) buffered() (n int, due bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bufN, s.bufN >= s.opts.SyncRecords || int64(len(s.buf)) >= s.opts.BufferBytes/2
}

// Depth returns the records appended and not yet acknowledged.
func (s *Spool) Depth() int64 { return s.depth.Load() }

// Notify returns a channel that receives after records became durable, so
// a reader that found the spool empty knows when to call Next again.
func (s *Spool) Notify() <-chan struct{} { return s.notify }

// Close writes and fsyncs the buffer, then closes the files and releases
// the directory. Append and the reader return ErrClosed after it. Call it
// once Run has returned.
func (s *Spool) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	err := s.Flush()
	if errors.Is(err, ErrClosed) {
		return nil
	}
	s.io.Lock()
	defer s.io.Unlock()
	s.ioClosed = true
	return errors.Join(err, s.closeFiles())
}

// closeFiles closes every open file and the directory lock.
func (s *Spool) closeFiles() error {
	var errs []error
	for _, f := range []*os.File{s.active, s.rf} {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	s.active, s.rf = nil, nil
	errs = append(errs, s.lock.Release())
	s.lock = nil
	return errors.Join(errs...)
}

// updateGauges sets the disk gauges from s.segs. Call it holding s.io.
func (s *Spool) updateGauges() {
	var total int64
	for _, g := range s.segs {
		total += g.size
	}
	s.m.bytes.Set(float64(total))
	s.m.segments.Set(float64(len(s.segs)))
}

// path is the file of the segment whose first record is first.
func (s *Spool) path(first uint64) string { return filepath.Join(s.dir, segName(first)) }

// lose counts n records accepted by Append and lost for reason, and tells
// OnDrop. Call it holding s.io.
func (s *Spool) lose(reason string, n uint64) {
	if n == 0 {
		return
	}
	s.m.dropped.WithLabelValues(reason).Add(float64(n))
	s.depth.Add(-int64(n))
	if s.opts.OnDrop != nil {
		s.opts.OnDrop(reason, int(n))
	}
}
