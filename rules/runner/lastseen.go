package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/gridwatch/gridwatch/internal/atomicfile"
)

// lastSeenFile is the last-seen record in the data directory.
const lastSeenFile = "lastseen.json"

// lastSeen keeps, across restarts, when each device last gave a sign of
// life, so that a device that fell silent while the gateway was down is
// still declared offline — and with the time it really went silent, not
// the time the gateway came back. Devices never heard from are not
// supervised: a box registered but not yet installed is "unknown", not
// offline.
//
// The file is written every saveEvery and at shutdown, atomically (temp
// file, fsync, rename). After a kill -9 it is at most saveEvery old: a
// device then counts as alive a little longer than it was, never less.
type lastSeen struct {
	path    string
	devices Devices
	log     *slog.Logger
}

const saveEvery = 10 * time.Second

// load reads the file; a missing file is an empty record.
func (l *lastSeen) load() (map[string]int64, error) {
	b, err := os.ReadFile(l.path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]int64{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("last seen: %w", err)
	}
	m := make(map[string]int64)
	if err := json.Unmarshal(b, &m); err != nil {
		// A damaged record only costs supervision of silent devices until
		// they speak; it must not keep the gateway down.
		l.log.Error("last-seen record unreadable; starting without it", "path", l.path, "err", err)
		return map[string]int64{}, nil
	}
	return m, nil
}

// save writes what the tracker knows, keeping older records of devices it
// has not heard from since the start.
func (l *lastSeen) save() error {
	m, err := l.load()
	if err != nil {
		return err
	}
	for id, ms := range l.devices.LastSeen() {
		if ms > m[id] {
			m[id] = ms
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("last seen: %w", err)
	}
	if err := atomicfile.Write(l.path, b, 0o640); err != nil {
		return fmt.Errorf("last seen: %w", err)
	}
	return nil
}

// run saves the record every saveEvery and once more when ctx ends.
func (l *lastSeen) run(ctx context.Context) {
	tick := time.NewTicker(saveEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := l.save(); err != nil {
				l.log.Error("last-seen record not saved at stop", "err", err)
			}
			return
		case <-tick.C:
			if err := l.save(); err != nil {
				l.log.Warn("last-seen record not saved", "err", err)
			}
		}
	}
}
