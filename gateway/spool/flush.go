package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// Run writes and fsyncs the buffer whenever SyncRecords records wait (or
// half of BufferBytes), or SyncInterval after the first of them, until ctx ends; then it flushes
// once more and returns. Write errors are logged and counted, not
// returned: the spool keeps going. It returns nil.
func (s *Spool) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			s.flushLogged()
			return nil
		case <-s.wake:
		}
		if n, _ := s.buffered(); n == 0 {
			continue // a wake-up for records already flushed
		}
		if !s.waitToSync(ctx) {
			s.flushLogged()
			return nil
		}
		if errors.Is(s.flushLogged(), ErrClosed) {
			return nil
		}
	}
}

// waitToSync waits until the buffer is due for fsync or SyncInterval has
// passed. It returns false if ctx ended first.
func (s *Spool) waitToSync(ctx context.Context) bool {
	t := time.NewTimer(s.opts.SyncInterval)
	defer t.Stop()
	for {
		if _, due := s.buffered(); due {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		case <-s.wake:
		}
	}
}

// flushLogged is Flush with its error logged.
func (s *Spool) flushLogged() error {
	err := s.Flush()
	if err != nil && !errors.Is(err, ErrClosed) {
		s.log.Error("spool write failed, records dropped", "err", err)
	}
	return err
}

// Flush writes the buffered records to the newest segment and fsyncs it,
// first dropping the oldest segments if the spool would grow past
// MaxBytes. If the write fails, the buffered records are dropped and
// counted, and the error returned.
func (s *Spool) Flush() error {
	s.io.Lock()
	defer s.io.Unlock()
	if s.ioClosed {
		return ErrClosed
	}
	s.mu.Lock()
	buf, n := s.buf, s.bufN
	s.buf, s.bufN = s.spare[:0], 0
	s.mu.Unlock()
	if n == 0 {
		s.spare = buf[:0]
		return nil
	}
	if !s.room(int64(len(buf)), n) {
		s.spare = buf[:0]
		s.lose(reasonDiskLow, uint64(n))
		return nil
	}
	err := s.write(buf, n)
	s.spare = buf[:0]
	if err != nil {
		s.lose(reasonWriteError, uint64(n))
		return err
	}
	select {
	case s.notify <- struct{}{}:
	default:
	}
	return nil
}

// write appends n framed records to the newest segment, starting a new
// one if it is full, and fsyncs it. Call it holding s.io.
func (s *Spool) write(buf []byte, n int) error {
	if s.active == nil || s.segs[len(s.segs)-1].size >= s.opts.SegmentBytes {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	s.makeRoom(int64(len(buf)))
	last := &s.segs[len(s.segs)-1]
	_, err := s.active.WriteAt(buf, last.size)
	if err == nil {
		err = s.active.Sync()
	}
	if err != nil {
		// Leave no half-written frames for the next write to follow.
		_ = s.active.Truncate(last.size)
		return fmt.Errorf("spool: write %s: %w", s.active.Name(), err)
	}
	last.count += uint64(n)
	last.size += int64(len(buf))
	s.next += uint64(n)
	s.updateGauges()
	return nil
}

// rotate starts a new segment for record s.next and makes it the active
// one. Call it holding s.io.
func (s *Spool) rotate() error {
	if n := len(s.segs); n > 0 && s.segs[n-1].count == 0 && s.active != nil {
		return nil // the active segment is empty: keep it
	}
	f, err := os.OpenFile(s.path(s.next), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("spool: new segment: %w", err)
	}
	if err := syncDir(s.dir); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("spool: new segment: sync %s: %w", s.dir, err)
	}
	if s.active != nil {
		s.active.Close()
	}
	s.active = f
	s.segs = append(s.segs, segment{first: s.next})
	s.removeAcked()
	s.updateGauges()
	return nil
}

// makeRoom deletes the oldest segments, never the active one, until need
// more bytes fit in MaxBytes, and counts their unacknowledged records as
// dropped. Call it holding s.io.
func (s *Spool) makeRoom(need int64) {
	var total int64
	for _, g := range s.segs {
		total += g.size
	}
	for total+need > s.opts.MaxBytes && len(s.segs) > 1 {
		old := s.segs[0]
		lost := old.end() - max(old.first, min(s.cursor, old.end()))
		if err := s.removeSegment(old.first); err != nil {
			s.log.Error("spool full, could not delete the oldest segment", "err", err)
			return
		}
		total -= old.size
		if lost > 0 {
			s.lose(reasonFull, lost)
			s.log.Warn("spool full, oldest segment dropped", "segment", segName(old.first), "records", lost)
		}
		if s.cursor < s.segs[0].first {
			s.cursor = s.segs[0].first
		}
	}
}

// removeAcked deletes the segments wholly behind the cursor, never the
// active one. Call it holding s.io.
func (s *Spool) removeAcked() {
	for len(s.segs) > 1 && s.segs[0].end() <= s.cursor {
		if err := s.removeSegment(s.segs[0].first); err != nil {
			s.log.Warn("spool: could not delete an acknowledged segment", "err", err)
			return
		}
	}
}

// removeSegment deletes the first segment's file and forgets it. Call it
// holding s.io.
func (s *Spool) removeSegment(first uint64) error {
	if s.rf != nil && s.rfFirst == first {
		s.rf.Close()
		s.rf = nil
	}
	if s.rseg == first {
		s.rvalid = false
	}
	if err := os.Remove(s.path(first)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: delete segment: %w", err)
	}
	s.segs = s.segs[1:]
	return nil
}

// room reports whether need more bytes may be written without taking the
// free space of Options.MinFreeBytes, and logs when the spool starts and
// stops shedding for it. Call it holding s.io.
func (s *Spool) room(need int64, records int) bool {
	if s.opts.MinFreeBytes <= 0 {
		return true
	}
	free, err := freeBytes(s.dir)
	if err != nil {
		return true // cannot tell: the write itself will say
	}
	ok := free-need >= s.opts.MinFreeBytes
	switch {
	case !ok && !s.shedding:
		s.log.Warn("disk nearly full: shedding records to keep free space for the journal",
			"free_bytes", free, "min_free_bytes", s.opts.MinFreeBytes, "records", records)
	case ok && s.shedding:
		s.log.Info("disk has room again: records are spooled again", "free_bytes", free)
	}
	s.shedding = !ok
	return ok
}
