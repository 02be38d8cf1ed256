package scenario

import (
	"sync"

	"github.com/gridwatch/gridwatch/firmware-sim/phone"
)

// inbox keeps what one scenario phone has received. Each notification can
// satisfy one expect step; the last one is what a reply answers.
type inbox struct {
	mu      sync.Mutex
	got     []phone.Received
	used    []bool
	changed chan struct{} // pinged on every put
}

func newInbox() *inbox { return &inbox{changed: make(chan struct{}, 1)} }

func (b *inbox) put(r phone.Received) {
	b.mu.Lock()
	b.got = append(b.got, r)
	b.used = append(b.used, false)
	b.mu.Unlock()
	select {
	case b.changed <- struct{}{}:
	default:
	}
}

// take returns the first unused notification that m matches and marks it
// used.
func (b *inbox) take(m Match) (phone.Received, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, r := range b.got {
		if !b.used[i] && m.Matches(r.Notification) {
			b.used[i] = true
			return r, true
		}
	}
	return phone.Received{}, false
}

// last returns the latest notification.
func (b *inbox) last() (phone.Received, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.got) == 0 {
		return phone.Received{}, false
	}
	return b.got[len(b.got)-1], true
}

// unused returns the notifications no expect step has claimed.
func (b *inbox) unused() []phone.Received {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []phone.Received
	for i, r := range b.got {
		if !b.used[i] {
			out = append(out, r)
		}
	}
	return out
}
