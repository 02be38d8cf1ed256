//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package spool

import "os"

// lockDir does nothing where flock is not available: the caller must not open
// one directory twice.
func lockDir(string) (*os.File, error) { return nil, nil }

// unlockDir does nothing.
func unlockDir(*os.File) error { return nil }
