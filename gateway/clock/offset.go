package clock

import (
	"os"
	"strings"
	"sync"
	"time"
)

// OffsetWall is a wall clock that reads the system's and adds the Go
// duration written in a file ("-1h", "90s", "0s"), re-read at most once a
// second. It lets the fault suite step the wall clock of a real gateway
// process without touching the machine's clock (libfaketime cannot reach
// a Go binary, which reads the clock through the vDSO). The daemon uses it
// only when GRIDWATCH_CLOCK_OFFSET_FILE is set.
type OffsetWall struct {
	path string

	mu     sync.Mutex
	offset time.Duration
	read   time.Time
}

// NewOffsetWall reads offsets from path; a missing or unreadable file is
// no offset.
func NewOffsetWall(path string) *OffsetWall { return &OffsetWall{path: path} }

// Now is the system's wall clock plus the file's offset.
func (w *OffsetWall) Now() time.Time {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.read.IsZero() || now.Sub(w.read) >= time.Second {
		w.read = now
		w.offset = 0
		if b, err := os.ReadFile(w.path); err == nil {
			if d, err := time.ParseDuration(strings.TrimSpace(string(b))); err == nil {
				w.offset = d
			}
		}
	}
	return now.Add(w.offset)
}
