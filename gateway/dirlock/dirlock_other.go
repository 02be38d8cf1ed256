//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

// Package dirlock keeps two processes from writing one data directory. On
// systems without flock it does nothing: the caller must not open one
// directory twice.
package dirlock

// Name is the lock file inside a locked directory.
const Name = "LOCK"

// Lock is a held directory lock (nothing, here).
type Lock struct{}

// Take does nothing where flock is not available.
func Take(dir, what string) (*Lock, error) { return &Lock{}, nil }

// Release does nothing.
func (l *Lock) Release() error { return nil }
