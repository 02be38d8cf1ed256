package journal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Replay calls fn, in ID order, for every durable event with an ID greater
// than after; segments that hold only lower IDs are not read. It sees the
// events durable when it starts, may run alongside Append, and stops at
// fn's first error. fn must not call Prune.
//
// A damaged line in an older segment (damaged on disk after it was synced:
// it held an acknowledged event) is logged as an error, counted in
// gridwatch_journal_lost_events_total and skipped: the events around it are
// still replayed, and the gateway starts.
func (j *Journal) Replay(after uint64, fn func(event.Event) error) error {
	j.mu.Lock()
	closed, upto := j.closed, j.last
	j.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return j.replayThrough(after, upto, fn)
}

// replayThrough calls fn for the events on disk with IDs in (after, upto];
// upto must be durable.
func (j *Journal) replayThrough(after, upto uint64, fn func(event.Event) error) error {
	j.pruneMu.RLock()
	defer j.pruneMu.RUnlock()
	j.mu.Lock()
	segs := slices.Clone(j.segs)
	j.mu.Unlock()
	if after >= upto {
		return nil
	}
	damaged := 0
	for i, s := range segs {
		if s.first > upto {
			break
		}
		end := upto // no ID in s is above end
		if i+1 < len(segs) {
			if segs[i+1].first-1 <= after {
				continue
			}
			end = min(upto, segs[i+1].first-1)
		}
		done, err := j.replaySegment(s.first, end, after, upto, fn, &damaged)
		if err != nil || done {
			j.reportDamage(damaged)
			return err
		}
	}
	j.reportDamage(damaged)
	return fmt.Errorf("journal: %w: ended before event %d", io.ErrUnexpectedEOF, upto)
}

// maxDamageLogs bounds the damaged lines one Replay logs one by one.
const maxDamageLogs = 10

// reportDamage counts the damaged lines a Replay skipped and sums up those
// it did not log one by one.
func (j *Journal) reportDamage(n int) {
	if n == 0 {
		return
	}
	j.met.lost.Add(float64(n))
	if n > maxDamageLogs {
		j.log.Error("journal replay skipped damaged lines", "lines", n, "logged", maxDamageLogs)
	}
}

// replaySegment calls fn for the events of one segment above after, checking
// they lie in [first, end]. It reports done once it has seen upto.
func (j *Journal) replaySegment(first, end, after, upto uint64, fn func(event.Event) error, damaged *int) (done bool, err error) {
	path := filepath.Join(j.dir, segmentName(first))
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("journal: replay: %w", err)
	}
	defer f.Close()
	lr := newLineReader(f)
	var prev uint64
	for {
		line, complete, err := lr.next()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("journal: %s:%d: %w", path, lr.num+1, err)
		}
		ev, err := nextValid(line, complete, prev, first)
		if err == nil && ev.ID > end {
			err = fmt.Errorf("id %d belongs in a later segment (this one ends at %d)", ev.ID, end)
		}
		if err != nil {
			if *damaged++; *damaged <= maxDamageLogs {
				j.log.Error("journal line damaged on disk: the acknowledged event it held is lost; replay goes on",
					"file", path, "line", lr.num, "reason", err.Error())
			}
			continue
		}
		prev = ev.ID
		if ev.ID > after {
			if err := fn(ev); err != nil {
				return false, fmt.Errorf("journal: replay stopped at %s:%d: %w", path, lr.num, err)
			}
		}
		if ev.ID == upto {
			return true, nil
		}
	}
}
