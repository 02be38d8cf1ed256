//go:build !linux

package journal

import "syscall"

// preallocate is not available here: journal headroom is off.
func preallocate(uintptr, int64, int64) error { return syscall.ENOSYS }
