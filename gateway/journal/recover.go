package journal

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// recover finds the segments, repairs the last one and opens it for
// appending. A last segment left with no events (created just before a
// crash) is removed. Only the last segment is read in full: the others were
// synced before it was created, and Replay checks them as it reads.
func (j *Journal) recover() error {
	segs, err := listSegments(j.dir)
	if err != nil {
		return err
	}
	for len(segs) > 0 {
		s := &segs[len(segs)-1]
		first, last, size, err := j.mend(s.first)
		if err != nil {
			return err
		}
		s.first = first
		path := filepath.Join(j.dir, segmentName(first))
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

// damage is a line of a segment that cannot be read as the next event.
type damage struct {
	line int
	why  error
}

// scan is what one read through a segment found.
type scan struct {
	last  uint64   // ID of the last valid line
	good  int64    // offset just after it
	end   int64    // size read
	holes []damage // damaged lines with valid lines after them
	tail  []damage // damaged lines after the last valid one
	first uint64   // ID of the first valid line, 0 if none
}

// nextValid decodes a line that must follow the valid line with ID last
// (0 at the start of the segment named first).
func nextValid(line []byte, complete bool, last, first uint64) (event.Event, error) {
	ev, err := decodeJournalLine(line)
	switch {
	case err != nil:
	case !complete:
		err = errors.New("no newline at the end (write cut short)")
	case last == 0 && ev.ID < first:
		err = fmt.Errorf("id %d is below the segment's first id %d", ev.ID, first)
	case last != 0 && ev.ID <= last:
		err = fmt.Errorf("id %d does not follow %d", ev.ID, last)
	}
	return ev, err
}

// scanSegment reads a segment through. A line is valid if it decodes, ends
// in a newline and has an ID above the previous valid one (and, for the
// first, not below the segment's name).
func scanSegment(path string, first uint64) (scan, error) {
	var sc scan
	f, err := os.Open(path)
	if err != nil {
		return sc, fmt.Errorf("journal: open segment: %w", err)
	}
	defer f.Close()
	lr := newLineReader(f)
	for {
		line, complete, err := lr.next()
		if errors.Is(err, io.EOF) {
			sc.end = lr.off
			return sc, nil
		}
		if err != nil {
			return sc, fmt.Errorf("journal: %s:%d: %w", path, lr.num+1, err)
		}
		ev, err := nextValid(line, complete, sc.last, first)
		if err != nil {
			sc.tail = append(sc.tail, damage{lr.num, err})
			continue
		}
		sc.holes, sc.tail = append(sc.holes, sc.tail...), nil
		if sc.first == 0 {
			sc.first = ev.ID
		}
		sc.last, sc.good = ev.ID, lr.off
	}
}

// mend reads the last segment (named for first) through and mends it: a
// torn or garbled tail (lines after the last valid one) is truncated away;
// damaged lines with valid ones after them, which held acknowledged events,
// are cut out by rewriting the segment from its valid lines (the damaged
// file is kept beside it as .damaged-<unix time>), so that every readable
// event is kept and the gateway starts. It returns the segment's first ID
// (changed when its first lines were damaged), its last ID and its size.
func (j *Journal) mend(first uint64) (newFirst, last uint64, size int64, err error) {
	path := filepath.Join(j.dir, segmentName(first))
	sc, err := scanSegment(path, first)
	if err != nil {
		return 0, 0, 0, err
	}
	if len(sc.holes) == 0 && sc.first != 0 && sc.first != first {
		return 0, 0, 0, fmt.Errorf("journal: %s:1: first event has id %d, but the segment is named for %d",
			path, sc.first, first)
	}
	if len(sc.holes) > 0 {
		if err := j.rewrite(path, first, sc); err != nil {
			return 0, 0, 0, err
		}
		first = sc.first
		path = filepath.Join(j.dir, segmentName(first))
	} else if len(sc.tail) > 0 {
		if err := truncateSync(path, sc.good); err != nil {
			return 0, 0, 0, err
		}
	}
	if len(sc.tail) > 0 {
		j.logTail(path, sc.tail[0].line, sc.end-sc.good, sc.tail[0].why, sc.last)
	}
	return first, sc.last, sc.good, nil
}

// truncateSync cuts a file to size and syncs it.
func truncateSync(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("journal: open segment: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("journal: truncate torn tail of %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("journal: sync %s: %w", path, err)
	}
	return nil
}

// rewrite replaces a segment with damaged lines in its middle by one made
// of its valid lines only, named for the first of them, and sets the
// damaged file aside. Each damaged line is logged as an error and counted
// as a lost event: it held an acknowledged event (a crash only ever cuts
// the last batch short).
func (j *Journal) rewrite(path string, first uint64, sc scan) error {
	aside := fmt.Sprintf("%s.damaged-%d", path, time.Now().Unix())
	for _, d := range sc.holes {
		j.log.Error("journal line damaged on disk: the acknowledged event it held is lost; the segment is rewritten without it",
			"file", path, "line", d.line, "reason", d.why.Error(), "damaged_file_kept_as", aside)
	}
	j.met.lost.Add(float64(len(sc.holes)))

	tmp := filepath.Join(j.dir, segmentName(sc.first)+".tmp")
	if err := copyValid(path, tmp, first, sc.good); err != nil {
		return err
	}
	if err := os.Rename(path, aside); err != nil {
		return fmt.Errorf("journal: set damaged segment aside: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(j.dir, segmentName(sc.first))); err != nil {
		return fmt.Errorf("journal: put rewritten segment in place: %w", err)
	}
	if err := syncDir(j.dir); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// copyValid writes to dst, synced, the lines of src up to offset upto that
// scanSegment finds valid.
func copyValid(src, dst string, first uint64, upto int64) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("journal: open segment: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("journal: rewrite segment: %w", err)
	}
	defer out.Close()
	w := bufio.NewWriter(out)
	lr := newLineReader(in)
	var last uint64
	for lr.off < upto {
		line, complete, err := lr.next()
		if err != nil {
			return fmt.Errorf("journal: %s:%d: %w", src, lr.num+1, err)
		}
		ev, err := nextValid(line, complete, last, first)
		if err != nil {
			continue
		}
		last = ev.ID
		w.Write(line)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("journal: rewrite segment: %w", err)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("journal: rewrite segment: %w", err)
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
