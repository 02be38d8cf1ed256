package journal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// recover finds the segments, repairs the tail of the last one and opens it
// for appending. A last segment left with no events (created just before a
// crash) is removed. Only the last segment is read in full: the others were
// synced before it was created, and Replay checks them as it reads.
func (j *Journal) recover() error {
	segs, err := listSegments(j.dir)
	if err != nil {
		return err
	}
	for len(segs) > 0 {
		s := &segs[len(segs)-1]
		path := filepath.Join(j.dir, segmentName(s.first))
		last, size, err := j.repairTail(path, s.first)
		if err != nil {
			return err
		}
		if size > 0 {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return fmt.Errorf("journal: open last segment: %w", err)
			}
			s.size, j.file, j.size, j.last = size, f, size, last
			break
		}
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("journal: remove empty segment: %w", err)
		}
		if err := syncDir(j.dir); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		j.log.Warn("removed a segment with no complete event (crash while starting it)", "file", path)
		segs = segs[:len(segs)-1]
	}
	j.segs = segs
	for _, s := range segs {
		j.onDisk += s.size
	}
	if n := len(segs); n > 0 {
		j.log.Info("journal opened", "segments", n, "last_id", j.last, "bytes", j.onDisk)
	}
	return nil
}

// repairTail reads a segment through, checks its IDs, and truncates a torn
// or garbled tail: lines after the last valid one that no valid line
// follows. It returns the last ID and the size that remains.
func (j *Journal) repairTail(path string, first uint64) (last uint64, size int64, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, 0, fmt.Errorf("journal: open segment: %w", err)
	}
	defer f.Close()

	var (
		good    int64 // offset after the last valid line
		bad     int   // number of the first garbled line after it, 0 if none
		badWhy  error
		lr      = newLineReader(f)
		prevEnd int64
	)
	for {
		line, complete, err := lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, 0, fmt.Errorf("journal: %s:%d: %w", path, lr.num+1, err)
		}
		start := prevEnd
		prevEnd = lr.off
		ev, err := decodeJournalLine(line)
		if !complete && err == nil {
			err = errors.New("no newline at the end (write cut short)")
		}
		if err != nil {
			if bad == 0 {
				bad, badWhy, good = lr.num, err, start
			}
			continue
		}
		if bad != 0 {
			return 0, 0, fmt.Errorf("journal: %s:%d: damaged line before valid ones (line %d): %w; "+
				"it held an acknowledged event, damaged on disk (a crash only ever cuts the last line short); "+
				"to start anyway, move this segment out of %s: its events are then gone from the journal",
				path, bad, lr.num, badWhy, j.dir)
		}
		if err := checkOrder(ev.ID, last, first); err != nil {
			return 0, 0, fmt.Errorf("journal: %s:%d: %w", path, lr.num, err)
		}
		last, good = ev.ID, lr.off
	}
	if bad == 0 {
		return last, good, nil
	}
	if err := f.Truncate(good); err != nil {
		return 0, 0, fmt.Errorf("journal: truncate torn tail of %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return 0, 0, fmt.Errorf("journal: sync %s: %w", path, err)
	}
	j.logTail(path, bad, prevEnd-good, badWhy, last)
	return last, good, nil
}

// checkOrder reports an ID out of place in the segment named first, after
// prev (0 at the first line).
func checkOrder(id, prev, first uint64) error {
	switch {
	case prev == 0 && id != first:
		return fmt.Errorf("first event has id %d, but the segment is named for %d", id, first)
	case prev != 0 && id <= prev:
		return fmt.Errorf("id %d does not follow %d", id, prev)
	}
	return nil
}

// logTail reports the tail repairTail cut off, as truthfully as can be
// known. A crash while a batch is being written leaves a line cut short or
// garbled; that batch was never synced, so never acknowledged. But a tail
// cut by other means (a disk fault, a file truncated by hand) can end below
// the alarm store's checkpoint: those events were acknowledged and applied,
// and the loss is an error.
func (j *Journal) logTail(path string, line int, bytes int64, why error, last uint64) {
	if last < j.applied {
		j.log.Error("dropped a damaged tail of the journal holding ACKNOWLEDGED events: the alarm store had applied events up to applied_id",
			"file", path, "line", line, "bytes", bytes, "reason", why.Error(), "last_id", last, "applied_id", j.applied)
		return
	}
	j.log.Warn("dropped a damaged last line of the journal: a write cut short by a crash, never acknowledged; "+
		"unless the file was cut by other means, when events after applied_id may have been acknowledged too",
		"file", path, "line", line, "bytes", bytes, "reason", why.Error(), "last_id", last, "applied_id", j.applied)
}
