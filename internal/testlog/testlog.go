// Package testlog captures what a logger writes, for tests: a Buffer that a
// slog handler running on other goroutines and the test reading it may share.
// Tests may import it from anywhere; code must not.
package testlog

import (
	"strings"
	"sync"
)

// Buffer is a goroutine-safe io.Writer that keeps everything written to it.
// The zero value is ready to use.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write appends p. It never fails.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Lines returns the non-empty lines written so far that contain every one
// of words (all lines when words is empty).
func (s *Buffer) Lines(words ...string) []string {
	var out []string
	for l := range strings.SplitSeq(s.String(), "\n") {
		ok := l != ""
		for _, w := range words {
			ok = ok && strings.Contains(l, w)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}
