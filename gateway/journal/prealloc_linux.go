package journal

import "syscall"

// fallocKeepSize is FALLOC_FL_KEEP_SIZE: allocate without growing the file.
const fallocKeepSize = 0x1

// preallocate allocates n bytes of f from off on, keeping its size.
func preallocate(fd uintptr, off, n int64) error {
	return syscall.Fallocate(int(fd), fallocKeepSize, off, n)
}
