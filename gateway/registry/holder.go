package registry

import "sync/atomic"

// Holder holds the current registry for many concurrent readers. Readers
// call Get on every use and never keep the result for long; a reload swaps
// the whole registry at once, so a reader sees either the old or the new
// one, never a mix.
type Holder struct {
	cur atomic.Pointer[Registry]
}

// NewHolder returns a Holder holding r (an empty registry if r is nil).
func NewHolder(r *Registry) *Holder {
	h := &Holder{}
	h.Set(r)
	return h
}

// Get returns the current registry. It never blocks and never returns nil.
func (h *Holder) Get() *Registry { return h.cur.Load() }

// Set replaces the current registry with r (an empty registry if r is nil).
func (h *Holder) Set(r *Registry) {
	if r == nil {
		r = Empty()
	}
	h.cur.Store(r)
}

// Reload loads the registry file at path and makes it current. On any
// error the current registry stays in place and the error is returned.
func (h *Holder) Reload(path string) error {
	r, err := Load(path)
	if err != nil {
		return err
	}
	h.Set(r)
	return nil
}
