package window

import (
	"fmt"
	"slices"
	"time"
)

// Counts is a family of sliding count windows, one per key: it tells when
// a key has seen at least N events whose times all lie within a span
// (inclusive: events at t and t+span are in one window).
//
// Times may arrive out of order; each key keeps its most recent N times in
// order, so a late event still completes a window it belongs to. When a
// window fires, the key starts afresh, so N more events are needed to fire
// again.
type Counts struct {
	n       int
	span    int64
	maxKeys int
	keys    map[string]*times
	dropped uint64
	swept   int64 // time of the last sweep forced by a full map
}

// times is one key's most recent times, ascending, at most n+1 of them
// (one extra while an insert is being judged).
type times struct {
	at []int64
}

// NewCounts makes windows of at least n events within span, keeping at
// most maxKeys keys at once.
func NewCounts(n int, span time.Duration, maxKeys int) (*Counts, error) {
	switch {
	case n < 1:
		return nil, fmt.Errorf("count window: at least %d events: want 1 or more", n)
	case span <= 0:
		return nil, fmt.Errorf("count window: span %v: want a positive duration", span)
	case maxKeys < 1:
		return nil, fmt.Errorf("count window: %d keys: want 1 or more", maxKeys)
	}
	return &Counts{n: n, span: span.Milliseconds(), maxKeys: maxKeys, keys: make(map[string]*times)}, nil
}

// Add records an event on key at time at (Unix ms) and reports whether the
// key now holds at least N events within the span. A new key when the
// limit is reached and nothing is idle enough to evict is not recorded;
// Dropped counts those.
func (c *Counts) Add(key string, at int64) bool {
	t := c.keys[key]
	if t == nil {
		if len(c.keys) >= c.maxKeys && !c.makeRoom(at) {
			c.dropped++
			return false
		}
		t = &times{at: make([]int64, 0, c.n+1)}
		c.keys[key] = t
	}
	i, _ := slices.BinarySearch(t.at, at)
	t.at = slices.Insert(t.at, i, at)
	fired := false
	// Any run of n consecutive times spanning at most span fires. Before
	// the insert no run fired (it would have reset the key), so only runs
	// that contain the new time can.
	for lo := max(0, i-c.n+1); lo+c.n <= len(t.at) && lo <= i; lo++ {
		if t.at[lo+c.n-1]-t.at[lo] <= c.span {
			fired = true
			break
		}
	}
	switch {
	case fired:
		t.at = t.at[:0]
	case len(t.at) > c.n:
		t.at = slices.Delete(t.at, 0, 1)
	}
	return fired
}

// makeRoom sweeps at most once a second of event time when the map is
// full, so a flood of new keys does not make every Add walk the map.
func (c *Counts) makeRoom(now int64) bool {
	if now-c.swept >= 1000 || now < c.swept {
		c.swept = now
		c.Sweep(now)
	}
	return len(c.keys) < c.maxKeys
}

// Sweep evicts every key whose newest event is older than now minus the
// span (it can no longer be part of a firing window with a new event) and
// every key that is empty after firing. It returns how many keys it
// evicted.
func (c *Counts) Sweep(now int64) int {
	_, n := c.SweepSome(now, len(c.keys))
	return n
}

// SweepSome is Sweep by instalments: it looks at up to budget keys and
// returns how many it looked at and evicted. Each call starts at a random
// key (Go's map order), so repeated calls cover the map without keeping a
// second index of the keys; a call that looks at fewer than budget keys
// walked them all.
func (c *Counts) SweepSome(now int64, budget int) (looked, evicted int) {
	for k, t := range c.keys {
		if looked >= budget {
			break
		}
		looked++
		if len(t.at) == 0 || t.at[len(t.at)-1] < now-c.span {
			delete(c.keys, k)
			evicted++
		}
	}
	return looked, evicted
}

// Len is the number of keys held.
func (c *Counts) Len() int { return len(c.keys) }

// Dropped is how many events were not recorded because the key limit was
// reached.
func (c *Counts) Dropped() uint64 { return c.dropped }

// Each calls fn with every key and its kept times, ascending. fn must not
// keep or change times. It is how a snapshot reads the windows; Add in
// ascending order restores them.
func (c *Counts) Each(fn func(key string, times []int64)) {
	for k, t := range c.keys {
		fn(k, t.at)
	}
}
