//go:build unix

package videorec

import "syscall"

// newChunk maps n bytes of anonymous memory outside the Go heap (the
// collector neither scans nor counts it); if the system refuses, the
// heap serves.
func newChunk(n int) *chunk {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return &chunk{buf: make([]byte, n)}
	}
	return &chunk{buf: b, mapped: true}
}

// unmap gives the chunk's memory back; nothing may use it after.
func (c *chunk) unmap() {
	if c.mapped {
		_ = syscall.Munmap(c.buf)
	}
	c.buf, c.used, c.frames, c.mapped = nil, 0, 0, false
}
