//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

// Package dirlock keeps two processes (or two opens in one process) from
// writing one data directory: the journal and the spool each hold their
// directory's LOCK file with flock while open.
package dirlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Name is the lock file inside a locked directory.
const Name = "LOCK"

// Lock is a held directory lock.
type Lock struct{ f *os.File }

// Take locks dir, failing at once if someone else holds it. what names the
// owner kind in errors ("journal", "spool").
func Take(dir, what string) (*Lock, error) {
	path := filepath.Join(dir, Name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("%s: lock: %w", what, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %s is in use by another %s (locked %s)", what, dir, what, path)
		}
		return nil, fmt.Errorf("%s: lock %s: %w", what, path, err)
	}
	return &Lock{f: f}, nil
}

// Release lets the directory go. It is safe on a nil Lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	return nil
}
