package broker

import (
	"errors"
	"fmt"
	"os"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// checkStore looks at the session store before mochi opens it. bbolt
// panics on some damaged files (an assertion on a bad page), every start
// alike, so a damaged broker.db would crash-loop the daemon. The file is
// opened read-only and checked page by page, with a panic caught; when it
// is damaged it is renamed aside (path.corrupt-<UTC time>) so the broker
// starts with an empty store. It returns the name it was moved to, or ""
// when the file is sound or absent. A file locked by another process is
// not damage: that is returned as an error.
func checkStore(path string, now time.Time) (asideAs string, err error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	damage := inspectStore(path)
	if damage == nil {
		return "", nil
	}
	if errors.Is(damage, bolterrors.ErrTimeout) {
		return "", fmt.Errorf("broker: %s is locked (is another gridwatchd running on this data_dir?): %w", path, damage)
	}
	aside := path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
	if err := os.Rename(path, aside); err != nil {
		return "", fmt.Errorf("broker: %s is damaged (%v) and could not be set aside: %w", path, damage, err)
	}
	return aside, fmt.Errorf("%w", damage)
}

// inspectStore opens the store as mochi will (read-write, which loads
// the freelist) and reads every bucket, key and value in it, on this
// goroutine so that a bbolt panic can be caught (bbolt's own Tx.Check
// runs on a goroutine of its own, where a panic would end the process).
// Any error or panic is damage. Nothing is written.
func inspectStore(path string) (damage error) {
	defer func() {
		if p := recover(); p != nil {
			damage = fmt.Errorf("bbolt panicked reading it: %v", p)
		}
	}()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error { return walkBucket(b) })
	})
}

// walkBucket reads every page under b.
func walkBucket(b *bbolt.Bucket) error {
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			if sub := b.Bucket(k); sub != nil {
				return walkBucket(sub)
			}
		}
		return nil
	})
}
