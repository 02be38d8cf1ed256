package window

import (
	"fmt"
	"time"
)

// Pending remembers, per key, the latest time a sequence started (its
// first event, A) so that a second event (B) on the same key within the
// span completes it. A then B is inclusive at both ends: B at the same
// time as A, or exactly span after it, completes the sequence; B before A
// does not.
type Pending struct {
	span    int64
	maxKeys int
	keys    map[string]start
	ring    ring
	dropped uint64
	swept   int64
}

// start is when a sequence started on a key, and the key's place in ring.
type start struct {
	at  int64
	idx int
}

// NewPending makes sequences that must complete within span, keeping at
// most maxKeys started sequences at once.
func NewPending(span time.Duration, maxKeys int) (*Pending, error) {
	switch {
	case span <= 0:
		return nil, fmt.Errorf("sequence: span %v: want a positive duration", span)
	case maxKeys < 1:
		return nil, fmt.Errorf("sequence: %d keys: want 1 or more", maxKeys)
	}
	return &Pending{span: span.Milliseconds(), maxKeys: maxKeys, keys: make(map[string]start)}, nil
}

// Start records that a sequence started on key at time at. A later start
// on the same key replaces an earlier one; an earlier one (out of order)
// is ignored.
func (p *Pending) Start(key string, at int64) {
	old, ok := p.keys[key]
	if ok {
		if at > old.at {
			p.keys[key] = start{at: at, idx: old.idx}
		}
		return
	}
	if len(p.keys) >= p.maxKeys && !p.makeRoom(at) {
		p.dropped++
		return
	}
	p.keys[key] = start{at: at, idx: p.ring.add(key)}
}

// Complete reports whether a sequence started on key no earlier than span
// before at, and no later than at. A completed sequence is consumed.
func (p *Pending) Complete(key string, at int64) bool {
	st, ok := p.keys[key]
	if !ok || st.at > at || at-st.at > p.span {
		return false
	}
	p.evict(key)
	return true
}

func (p *Pending) makeRoom(now int64) bool {
	if now-p.swept >= 1000 || now < p.swept {
		p.swept = now
		p.Sweep(now)
	}
	return len(p.keys) < p.maxKeys
}

// Sweep evicts every start older than now minus the span; it returns how
// many it evicted.
func (p *Pending) Sweep(now int64) int {
	p.ring.cursor = 0
	_, n, _ := p.SweepSome(now, len(p.ring.keys)+1)
	return n
}

// SweepSome is Sweep by instalments, like Counts.SweepSome.
func (p *Pending) SweepSome(now int64, budget int) (looked, evicted int, done bool) {
	return p.ring.walk(budget, func(k string) bool { return p.keys[k].at < now-p.span }, p.evict)
}

func (p *Pending) evict(key string) {
	st := p.keys[key]
	if moved := p.ring.remove(st.idx); moved != "" {
		m := p.keys[moved]
		m.idx = st.idx
		p.keys[moved] = m
	}
	delete(p.keys, key)
}

// Len is the number of started sequences held.
func (p *Pending) Len() int { return len(p.keys) }

// Dropped is how many starts were not recorded because the key limit was
// reached.
func (p *Pending) Dropped() uint64 { return p.dropped }

// Each calls fn with every started sequence; Start restores it.
func (p *Pending) Each(fn func(key string, at int64)) {
	for k, st := range p.keys {
		fn(k, st.at)
	}
}
