//go:build !unix

package videorec

func newChunk(n int) *chunk { return &chunk{buf: make([]byte, n)} }

func (c *chunk) unmap() { c.buf, c.used, c.frames = nil, 0, 0 }
