package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Prune removes every segment whose events all have IDs below before, oldest
// first; Retain calls it for retention. The
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
	total, n := j.onDisk, len(j.segs)
	j.mu.Unlock()
	j.met.onDisk.Set(float64(total))
	j.met.segments.Set(float64(n))
	j.met.pruned.Add(float64(removed))
	j.log.Info("pruned journal segments", "segments", removed, "bytes", freed, "before", before)
	return errors.Join(errs...)
}

// Retention bounds what the journal keeps on disk. Either bound may be 0
// (none); the segment being written is always kept.
type Retention struct {
	// MaxAge lets a segment go once its last write is older than this.
	MaxAge time.Duration
	// MaxBytes lets the oldest segments go while the journal is larger.
	MaxBytes int64
}

// Retain removes the oldest segments that r lets go, but only those whose
// events all have IDs up to after: a restart replays the journal after
// that ID (the older of the alarm store's checkpoint and the rules'
// snapshot), so nothing a replay reads is ever removed. It returns how many
// segments it removed.
func (j *Journal) Retain(r Retention, after uint64, now time.Time) (int, error) {
	j.mu.Lock()
	segs, total, closed := slices.Clone(j.segs), j.onDisk, j.closed
	j.mu.Unlock()
	if closed {
		return 0, ErrClosed
	}
	n := 0 // segments 0..n-1 go
	for ; n+1 < len(segs) && segs[n+1].first-1 <= after; n++ {
		big := r.MaxBytes > 0 && total > r.MaxBytes
		if !big && !j.olderThan(segs[n].first, r.MaxAge, now) {
			break
		}
		total -= segs[n].size
	}
	if n == 0 {
		return 0, nil
	}
	if err := j.Prune(segs[n].first); err != nil {
		return 0, err
	}
	return n, nil
}

// olderThan reports whether the segment's last write is more than age
// before now (never, for age 0 or a file it cannot stat).
func (j *Journal) olderThan(first uint64, age time.Duration, now time.Time) bool {
	if age <= 0 {
		return false
	}
	info, err := os.Stat(filepath.Join(j.dir, segmentName(first)))
	return err == nil && now.Sub(info.ModTime()) > age
}
