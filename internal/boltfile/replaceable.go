package boltfile

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// OpenReplaceable opens a bbolt file whose content the gateway can do
// without (a history, a queue whose entries are also kept elsewhere): a
// damaged one is set aside (kept as path.corrupt-<time> for analysis) and
// a fresh one started, logged at ERROR with lost — what is gone — so the
// gateway starts instead of refusing to. Other errors are returned.
func OpenReplaceable(path string, mode os.FileMode, opts *bolt.Options, now time.Time, log *slog.Logger, lost string) (*bolt.DB, error) {
	db, err := Open(path, mode, opts)
	if !errors.Is(err, ErrCorrupt) {
		return db, err
	}
	to, serr := SetAside(path, now)
	if serr != nil {
		return nil, fmt.Errorf("%w (and it could not be set aside: %w)", err, serr)
	}
	if log != nil {
		log.Error("DAMAGED FILE set aside and started empty: "+lost, "file", path, "set_aside_as", to, "err", err)
	}
	return Open(path, mode, opts)
}
