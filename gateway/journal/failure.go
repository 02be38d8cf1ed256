package journal

// A failed write or fsync refuses its batch and cuts the segment back to
// what was last synced; the journal is not latched (see doc.go).

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// failLogEvery bounds how often repeated write failures are logged.
const failLogEvery = 10 * time.Second

// fail records a failed write and counts it. The caller holds the token.
func (j *Journal) fail(err error) {
	j.mu.Lock()
	j.failed = err
	j.mu.Unlock()
	j.met.writeErrors.Inc()
	j.repair = true
	// On a full disk every resent press fails again: the first failure is
	// logged, then at most one line per failLogEvery with the count.
	j.failsUnlogged++
	if now := time.Now(); now.Sub(j.failLoggedAt) >= failLogEvery {
		j.log.Error("journal write failed; those events were refused, the next append tries again",
			"err", err, "failures_since_last_log", j.failsUnlogged)
		j.failLoggedAt, j.failsUnlogged = now, 0
	}
	if rerr := j.cutBack(); rerr != nil {
		j.log.Error("journal segment not yet cut back to its last synced size; retried at the next append", "err", rerr)
	}
}

// cutBack undoes a failed write: it removes the segments the failed batch
// started and truncates the last good one to the size it had when last
// synced, then syncs. After an fsync error the page cache may hold pages
// the disk never got; cutting them off and syncing the truncation leaves
// the file exactly as durable as it was. The caller holds the token.
func (j *Journal) cutBack() error {
	if j.file != nil {
		_ = j.file.Close()
		j.file, j.size, j.dirty, j.allocEnd = nil, 0, false, 0
	}
	j.mu.Lock()
	var extra []segment
	for len(j.segs) > 0 && j.segs[len(j.segs)-1].first != j.good.first {
		extra = append(extra, j.segs[len(j.segs)-1])
		j.segs = j.segs[:len(j.segs)-1]
	}
	j.mu.Unlock()
	for _, s := range extra {
		if err := os.Remove(filepath.Join(j.dir, segmentName(s.first))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove segment of a failed write: %w", err)
		}
	}
	if j.good.first != 0 {
		f, err := os.OpenFile(filepath.Join(j.dir, segmentName(j.good.first)), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return fmt.Errorf("reopen last segment: %w", err)
		}
		if err := f.Truncate(j.good.size); err != nil {
			f.Close()
			return fmt.Errorf("truncate %s to %d bytes: %w", f.Name(), j.good.size, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("sync %s: %w", f.Name(), err)
		}
		j.file, j.size = f, j.good.size
		j.allocEnd = 0 // the truncation freed it; topped up after the next write
	}
	if err := syncDir(j.dir); err != nil {
		return err
	}
	j.mu.Lock()
	var total int64
	for i := range j.segs {
		if j.segs[i].first == j.good.first {
			j.segs[i].size = j.good.size
		}
		total += j.segs[i].size
	}
	j.onDisk = total
	n := len(j.segs)
	j.mu.Unlock()
	j.met.onDisk.Set(float64(total))
	j.met.segments.Set(float64(n))
	j.repair = false
	return nil
}
