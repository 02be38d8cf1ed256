package broker

import (
	"errors"
	"fmt"
	"os"
	"time"

	"go.etcd.io/bbolt"

	"github.com/gridwatch/gridwatch/internal/boltfile"
)

// checkStore looks at the session store before mochi opens it. bbolt
// panics on some damaged files (an assertion on a bad page), every start
// alike, so a damaged broker.db would crash-loop the daemon. The file is
// opened and read page by page with boltfile, which turns a bbolt panic
// or fault into an error; when it is damaged it is renamed aside
// (path.corrupt-<UTC time>) so the broker starts with an empty store. It
// returns the name it was moved to, or "" when the file is sound or
// absent. A file locked by another process is not damage: that is
// returned as an error.
func checkStore(path string, now time.Time) (asideAs string, err error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	db, damage := boltfile.Open(path, 0o600, &bbolt.Options{Timeout: 2 * time.Second})
	if damage == nil {
		return "", db.Close()
	}
	if !errors.Is(damage, boltfile.ErrCorrupt) {
		return "", fmt.Errorf("broker: %s cannot be opened (is another gridwatchd running on this data_dir?): %w", path, damage)
	}
	aside, err := boltfile.SetAside(path, now)
	if err != nil {
		return "", fmt.Errorf("broker: %s is damaged (%v) and could not be set aside: %w", path, damage, err)
	}
	return aside, damage
}
