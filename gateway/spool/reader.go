package spool

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// Batch is records handed out by Next, to be given back to Ack once they
// are safe elsewhere.
type Batch struct {
	// Records are the records in order. They are the caller's.
	Records [][]byte

	first, end uint64 // sequence numbers: the first record and the one after the last
	seg        uint64 // the segment they come from
	endOff     int64  // the byte offset after the last record in seg
}

// Len returns the number of records in b.
func (b Batch) Len() int { return len(b.Records) }

// First returns the sequence number of b's first record.
func (b Batch) First() uint64 { return b.first }

// Next returns up to max durable records from the cursor on, in order,
// without moving the cursor: until they are acknowledged, Next hands the
// same records out again. An empty batch means none are waiting (see
// Notify).
func (s *Spool) Next(max int) (Batch, error) {
	if max <= 0 {
		return Batch{}, fmt.Errorf("spool: next: max %d, want at least 1", max)
	}
	s.io.Lock()
	defer s.io.Unlock()
	if s.ioClosed {
		return Batch{}, ErrClosed
	}
	for {
		i, ok := s.locate()
		if !ok {
			return Batch{}, nil
		}
		b := Batch{first: s.cursor}
		err := s.read(&b, i, s.rpos, max)
		if errors.Is(err, errCorrupt) {
			s.skipCorrupt(i, err)
			continue
		}
		if err != nil {
			return Batch{}, err
		}
		// Go on into the next segments while there is room.
		for ; b.Len() < max && i+1 < len(s.segs) && b.endOff == s.segs[i].size; i++ {
			if err := s.read(&b, i+1, 0, max); err != nil {
				if errors.Is(err, errCorrupt) {
					break // the next call meets the damage
				}
				return Batch{}, err
			}
		}
		return b, nil
	}
}

// locate returns the index of the segment holding the cursor, moving the
// cursor over any gap, and makes rseg and rpos point at it. It reports
// false when no record waits. Call it holding s.io.
func (s *Spool) locate() (int, bool) {
	for i, g := range s.segs {
		if g.end() <= s.cursor {
			continue
		}
		if !s.rvalid || g.first != s.rseg {
			if err := s.seek(i); err != nil {
				s.log.Error("spool: cannot find the cursor's record", "err", err)
				return 0, false
			}
		}
		return i, true
	}
	return 0, false
}

// seek makes segment i the one being read and finds the cursor's byte
// offset in it. Call it holding s.io.
func (s *Spool) seek(i int) error {
	g := s.segs[i]
	if s.cursor < g.first {
		s.cursor = g.first
	}
	if err := s.openRead(g.first); err != nil {
		return err
	}
	s.rseg = g.first
	r := bufio.NewReader(io.NewSectionReader(s.rf, 0, g.size))
	var off int64
	for range s.cursor - g.first {
		rec, err := readFrame(r)
		if err != nil {
			return fmt.Errorf("spool: %s: %w", segName(g.first), err)
		}
		off += frameLen(len(rec))
	}
	s.rpos, s.rvalid = off, true
	return nil
}

// openRead opens the segment file of first for reading, if it is not
// already. Call it holding s.io.
func (s *Spool) openRead(first uint64) error {
	if s.rf != nil && s.rfFirst == first {
		return nil
	}
	if s.rf != nil {
		s.rf.Close()
		s.rf = nil
	}
	f, err := os.Open(s.path(first))
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.rf, s.rfFirst = f, first
	return nil
}

// read appends to b the records of segment i from byte off on, until b
// holds max. It fails with errCorrupt at damage before b has any record.
// Call it holding s.io.
func (s *Spool) read(b *Batch, i int, off int64, max int) error {
	g := s.segs[i]
	if err := s.openRead(g.first); err != nil {
		return err
	}
	r := bufio.NewReader(io.NewSectionReader(s.rf, off, g.size-off))
	first := g.first
	if b.Len() == 0 {
		first = b.first
	}
	n := 0
	for b.Len() < max && off < g.size {
		rec, err := readFrame(r)
		if err != nil {
			if b.Len() > 0 && errors.Is(err, errCorrupt) {
				break // hand out what is good; the next call meets the damage
			}
			return fmt.Errorf("spool: read %s at byte %d: %w", segName(g.first), off, err)
		}
		b.Records = append(b.Records, rec)
		off += frameLen(len(rec))
		n++
	}
	if n > 0 {
		b.seg, b.endOff, b.end = g.first, off, first+uint64(n)
	}
	return nil
}

// skipCorrupt gives up the rest of segment i, damaged since Open, and
// counts its records as dropped. Call it holding s.io.
func (s *Spool) skipCorrupt(i int, why error) {
	g := &s.segs[i]
	lost := g.end() - s.cursor
	s.log.Error("spool: damaged record, rest of segment dropped", "segment", segName(g.first), "records", lost, "err", why)
	s.lose(reasonCorrupt, lost)
	g.count = s.cursor - g.first
	g.size = s.rpos
	if i == len(s.segs)-1 && s.active != nil {
		_ = s.active.Truncate(g.size)
		s.next = g.end()
	}
}

// Ack moves the cursor past b, persists it and deletes the segments wholly
// behind it. Acknowledging a batch twice, or one the spool dropped for
// room meanwhile, does nothing; acknowledging past records not yet handed
// out is an error.
func (s *Spool) Ack(b Batch) error {
	s.io.Lock()
	defer s.io.Unlock()
	if s.ioClosed {
		return ErrClosed
	}
	if b.end <= s.cursor {
		return nil
	}
	if b.first > s.cursor {
		return fmt.Errorf("spool: ack of records %d..%d, but record %d is not acknowledged yet", b.first, b.end-1, s.cursor)
	}
	if err := writeCursor(s.dir, b.end); err != nil {
		return err
	}
	n := uint64(b.Len()) // a gap left by damage is not records
	if b.first < s.cursor {
		n = b.end - s.cursor // the spool dropped the start meanwhile
	}
	s.cursor, s.rseg, s.rpos, s.rvalid = b.end, b.seg, b.endOff, true
	s.m.acked.Add(float64(n))
	s.depth.Add(-int64(n))
	s.removeAcked()
	s.updateGauges()
	return nil
}
