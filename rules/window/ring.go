package window

// ring holds the keys of a window family in a slice beside their map, so
// that a sweep can walk a bounded number of keys at a time and resume
// where it stopped. Removal swaps the last key into the hole; the owner
// updates that key's index (see remove).
type ring struct {
	keys   []string
	cursor int // the next key a sweep looks at
}

// add appends key and returns its index.
func (r *ring) add(key string) int {
	r.keys = append(r.keys, key)
	return len(r.keys) - 1
}

// remove takes out the key at i and returns the key moved into i (the
// caller must record its new index), or "" when i was the last.
func (r *ring) remove(i int) string {
	last := len(r.keys) - 1
	moved := ""
	if i != last {
		moved = r.keys[last]
		r.keys[i] = moved
	}
	r.keys[last] = ""
	r.keys = r.keys[:last]
	return moved
}

// walk looks at up to budget keys from the cursor on. idle says whether
// a key is to be evicted, and evict (which must call remove) does it; the
// key then moved into its place is looked at next. walk returns how many
// keys it looked at, how many it evicted, and whether it came to the end
// of the keys (the cursor then starts again from the first).
func (r *ring) walk(budget int, idle func(key string) bool, evict func(key string)) (looked, evicted int, done bool) {
	for looked < budget {
		if r.cursor >= len(r.keys) {
			r.cursor = 0
			return looked, evicted, true
		}
		k := r.keys[r.cursor]
		looked++
		if idle(k) {
			evict(k)
			evicted++
		} else {
			r.cursor++
		}
	}
	return looked, evicted, false
}
