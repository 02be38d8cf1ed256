package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Prune removes every segment whose events all have IDs below before, oldest
// first, for retention; it is never called by the journal itself. The
// segment being written is always kept, so the last event stays on disk and
// IDs continue after a reopen. Prune waits for running Replays.
func (j *Journal) Prune(before uint64) error {
	j.pruneMu.Lock()
	defer j.pruneMu.Unlock()
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return ErrClosed
	}
	// Segment i holds IDs below segs[i+1].first; the last one is kept.
	var drop []segment
	for i := 0; i+1 < len(j.segs) && j.segs[i+1].first <= before; i++ {
		drop = append(drop, j.segs[i])
	}
	j.mu.Unlock()
	if len(drop) == 0 {
		return nil
	}

	var removed int
	var freed int64
	var errs []error
	for _, s := range drop {
		err := os.Remove(filepath.Join(j.dir, segmentName(s.first)))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("journal: prune: %w", err))
			break
		}
		removed++
		freed += s.size
	}
	if removed > 0 {
		if err := syncDir(j.dir); err != nil {
			errs = append(errs, fmt.Errorf("journal: prune: %w", err))
		}
	}
	j.mu.Lock()
	j.segs = j.segs[removed:]
	j.onDisk -= freed
	total := j.onDisk
	j.mu.Unlock()
	j.met.onDisk.Set(float64(total))
	j.log.Info("pruned journal segments", "segments", removed, "bytes", freed, "before", before)
	return errors.Join(errs...)
}
