package scenario

import (
	"sync"
)

// inbox keeps what one scenario phone or watched device has received
// (notifications or commands). Each item can satisfy one expect step;
// the last one is what a reply answers.
type inbox[T any] struct {
	mu      sync.Mutex
	got     []T
	used    []bool
	changed chan struct{} // pinged on every put
}

func newInbox[T any]() *inbox[T] { return &inbox[T]{changed: make(chan struct{}, 1)} }

func (b *inbox[T]) put(x T) {
	b.mu.Lock()
	b.got = append(b.got, x)
	b.used = append(b.used, false)
	b.mu.Unlock()
	select {
	case b.changed <- struct{}{}:
	default:
	}
}

// take returns the first unused item that match accepts and marks it
// used.
func (b *inbox[T]) take(match func(T) bool) (T, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, x := range b.got {
		if !b.used[i] && match(x) {
			b.used[i] = true
			return x, true
		}
	}
	var zero T
	return zero, false
}

// find returns the unused items that match accepts, leaving them unused.
func (b *inbox[T]) find(match func(T) bool) []T {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []T
	for i, x := range b.got {
		if !b.used[i] && match(x) {
			out = append(out, x)
		}
	}
	return out
}

// last returns the latest item that match accepts, used or not.
func (b *inbox[T]) last(match func(T) bool) (T, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.got) - 1; i >= 0; i-- {
		if match(b.got[i]) {
			return b.got[i], true
		}
	}
	var zero T
	return zero, false
}

// unused returns the items no expect step has claimed.
func (b *inbox[T]) unused() []T {
	return b.find(func(T) bool { return true })
}
