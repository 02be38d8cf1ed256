// Package boltfile opens bbolt files so that a damaged one is an error, not
// a crash: bbolt trusts its pages and panics (or faults on a bad pointer
// into its memory map) when they are garbage, which, at startup, turns one
// damaged file into a crash loop.
package boltfile

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrCorrupt is wrapped by the error of Open for a file whose pages cannot
// be read: its owner decides whether to refuse to start or to set it aside.
var ErrCorrupt = errors.New("damaged bbolt file")

// Open opens the bbolt file at path as bolt.Open does, then reads every
// bucket and key in it once, so that damage is found now rather than by a
// panic later. A panic or memory fault inside bbolt, or one of bbolt's
// errors for an invalid file, is returned as an error wrapping ErrCorrupt.
// Other errors (a lock held by another process, permissions) are returned
// as they are.
func Open(path string, mode os.FileMode, opts *bolt.Options) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			// A panic inside Open leaves its file open; the owner is about
			// to exit or to set the file aside, so it is let go.
			if db != nil {
				_ = closeQuietly(db)
			}
			db, err = nil, fmt.Errorf("%s: %w: bbolt panicked reading it: %v", path, ErrCorrupt, r)
		}
	}()
	db, err = bolt.Open(path, mode, opts)
	if err != nil {
		// A lock held elsewhere or a file this process may not open is
		// not damage; anything else bbolt refuses is.
		if errors.Is(err, berrors.ErrTimeout) || errors.Is(err, os.ErrPermission) || errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w: %w", path, ErrCorrupt, err)
	}
	if err := db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(b) })
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("%s: %w: %w", path, ErrCorrupt, err)
	}
	return db, nil
}

// walk reads every key and value of b and of its nested buckets.
func walk(b *bolt.Bucket) error {
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			if sub := b.Bucket(k); sub != nil {
				return walk(sub)
			}
		}
		return nil
	})
}

// closeQuietly closes db, swallowing a panic of a damaged file's Close.
func closeQuietly(db *bolt.DB) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("close: %v", r)
		}
	}()
	return db.Close()
}

// SetAside renames a damaged file to path.corrupt-<UTC time>, so that a
// fresh one can be created in its place while the old one is kept for
// inspection, and returns the new name.
func SetAside(path string, now time.Time) (string, error) {
	to := path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
	if err := os.Rename(path, to); err != nil {
		return "", fmt.Errorf("set aside %s: %w", path, err)
	}
	return to, nil
}
