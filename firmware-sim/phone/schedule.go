package phone

import (
	"sort"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// due is one reply waiting for its time.
type due struct {
	at     time.Time
	alarm  string
	action event.ActionKind
}

// schedule holds the planned replies in time order. The zero value is
// empty. It is owned by one goroutine.
type schedule struct{ items []due }

// add plans action on alarm at t; equal times keep their insertion order.
func (s *schedule) add(t time.Time, alarm string, action event.ActionKind) {
	i := sort.Search(len(s.items), func(i int) bool { return s.items[i].at.After(t) })
	s.items = append(s.items, due{})
	copy(s.items[i+1:], s.items[i:])
	s.items[i] = due{at: t, alarm: alarm, action: action}
}

// popDue removes and returns every reply due at or before now.
func (s *schedule) popDue(now time.Time) []due {
	n := sort.Search(len(s.items), func(i int) bool { return s.items[i].at.After(now) })
	if n == 0 {
		return nil
	}
	out := append([]due(nil), s.items[:n]...)
	s.items = append(s.items[:0], s.items[n:]...)
	return out
}

// next is when the earliest reply is due.
func (s *schedule) next() (time.Time, bool) {
	if len(s.items) == 0 {
		return time.Time{}, false
	}
	return s.items[0].at, true
}

// recent remembers the last max alarm ids, to reply to each alarm once
// however many steps of it arrive.
type recent struct {
	max   int
	set   map[string]struct{}
	order []string
}

func newRecent(max int) *recent {
	return &recent{max: max, set: make(map[string]struct{}, max)}
}

// add reports whether id is new, and remembers it.
func (r *recent) add(id string) bool {
	if _, ok := r.set[id]; ok {
		return false
	}
	if len(r.order) == r.max {
		delete(r.set, r.order[0])
		r.order = r.order[1:]
	}
	r.set[id] = struct{}{}
	r.order = append(r.order, id)
	return true
}
