package spool

import (
	"fmt"
	"os"
)

// recover reads the segments and the cursor, truncates torn or corrupt
// tails, deletes what the cursor has passed and opens the newest segment
// for appending. Call it from Open only.
func (s *Spool) recover() error {
	firsts, err := listSegments(s.dir)
	if err != nil {
		return err
	}
	for i, first := range firsts {
		seg, cut, why, err := scanSegment(s.path(first), first)
		if err != nil {
			return err
		}
		if cut > 0 {
			s.log.Warn("spool: torn or corrupt tail truncated", "segment", segName(first),
				"kept_records", seg.count, "cut_bytes", cut, "reason", why.Error())
		}
		if n := len(s.segs); n > 0 && seg.first < s.segs[n-1].end() {
			return fmt.Errorf("spool: %s: segment %s overlaps the one before it", s.dir, segName(first))
		}
		if seg.count == 0 && i < len(firsts)-1 {
			if err := os.Remove(s.path(first)); err != nil {
				return fmt.Errorf("spool: delete empty segment: %w", err)
			}
			continue
		}
		s.segs = append(s.segs, seg)
	}
	cursor, err := readCursor(s.dir)
	if err != nil {
		s.log.Warn("spool: cursor unreadable, replaying every record kept", "err", err)
	}
	s.cursor = cursor
	if n := len(s.segs); n > 0 {
		s.next = s.segs[n-1].end()
		if s.cursor < s.segs[0].first {
			s.cursor = s.segs[0].first
		}
	} else {
		s.next = s.cursor
	}
	if s.cursor > s.next {
		s.log.Warn("spool: cursor is past the last record kept; starting after it", "cursor", s.cursor, "next", s.next)
		s.cursor = s.next
	}
	s.removeAcked()
	if n := len(s.segs); n > 0 {
		f, err := os.OpenFile(s.path(s.segs[n-1].first), os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		s.active = f
	}
	var depth uint64
	for _, g := range s.segs {
		if g.end() > s.cursor {
			depth += g.end() - max(g.first, s.cursor)
		}
	}
	s.depth.Store(int64(depth))
	return nil
}
