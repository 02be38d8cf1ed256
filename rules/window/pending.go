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
	keys    map[string]int64
	dropped uint64
	swept   int64
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
	return &Pending{span: span.Milliseconds(), maxKeys: maxKeys, keys: make(map[string]int64)}, nil
}

// Start records that a sequence started on key at time at. A later start
// on the same key replaces an earlier one; an earlier one (out of order)
// is ignored.
func (p *Pending) Start(key string, at int64) {
	old, ok := p.keys[key]
	if ok {
		if at > old {
			p.keys[key] = at
		}
		return
	}
	if len(p.keys) >= p.maxKeys && !p.makeRoom(at) {
		p.dropped++
		return
	}
	p.keys[key] = at
}

// Complete reports whether a sequence started on key no earlier than span
// before at, and no later than at. A completed sequence is consumed.
func (p *Pending) Complete(key string, at int64) bool {
	start, ok := p.keys[key]
	if !ok || start > at || at-start > p.span {
		return false
	}
	delete(p.keys, key)
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
	_, n := p.SweepSome(now, len(p.keys))
	return n
}

// SweepSome is Sweep by instalments, like Counts.SweepSome.
func (p *Pending) SweepSome(now int64, budget int) (looked, evicted int) {
	for k, at := range p.keys {
		if looked >= budget {
			break
		}
		looked++
		if at < now-p.span {
			delete(p.keys, k)
			evicted++
		}
	}
	return looked, evicted
}

// Len is the number of started sequences held.
func (p *Pending) Len() int { return len(p.keys) }

// Dropped is how many starts were not recorded because the key limit was
// reached.
func (p *Pending) Dropped() uint64 { return p.dropped }

// Each calls fn with every started sequence; Start restores it.
func (p *Pending) Each(fn func(key string, at int64)) {
	for k, at := range p.keys {
		fn(k, at)
	}
}
