package devices

import (
	"container/list"
	"sort"
	"sync"
)

// MaxUnregistered is how many unregistered ids the tracker remembers; past
// it, the one heard of least recently is forgotten.
const MaxUnregistered = 10000

// Unregistered records a message from id, which is not in the registry, on
// topic at atMS. It counts as one refused input from id. The tracker keeps
// at most MaxUnregistered such ids, forgetting the one heard of least
// recently. onChange is told when an id is first heard of.
func (t *Tracker) Unregistered(id, topic string, atMS int64) {
	if id == "" {
		return
	}
	if st, first := t.strange.heard(id, topic, atMS); first {
		t.notify(st)
	}
}

// strangers is a bounded set of unregistered ids, least recently heard of
// at the back.
type strangers struct {
	mu    sync.Mutex
	max   int
	byID  map[string]*list.Element // of *stranger
	order *list.List
}

type stranger struct {
	id       string
	topic    string
	lastSeen int64
	rejected uint64
	version  uint64
}

func newStrangers(max int) *strangers {
	return &strangers{max: max, byID: make(map[string]*list.Element), order: list.New()}
}

// heard records a message and reports whether id is new.
func (s *strangers) heard(id, topic string, at int64) (Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.byID[id]; ok {
		x := el.Value.(*stranger)
		x.topic = topic
		x.lastSeen = max(x.lastSeen, at)
		x.rejected++
		s.order.MoveToFront(el)
		return Status{}, false
	}
	x := &stranger{id: id, topic: topic, lastSeen: at, rejected: 1, version: 1}
	s.byID[id] = s.order.PushFront(x)
	for s.order.Len() > s.max {
		old := s.order.Remove(s.order.Back()).(*stranger)
		delete(s.byID, old.id)
	}
	return x.status(), true
}

// reject counts a refused input from id if id is known here.
func (s *strangers) reject(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.byID[id]; ok {
		el.Value.(*stranger).rejected++
	}
}

func (s *strangers) get(id string) (Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.byID[id]
	if !ok {
		return Status{}, false
	}
	return el.Value.(*stranger).status(), true
}

// list returns every id for which keep is true, sorted by id, and forgets
// the others (devices since adopted into the registry).
func (s *strangers) list(keep func(id string) bool) []Status {
	s.mu.Lock()
	out := make([]Status, 0, len(s.byID))
	for el := s.order.Front(); el != nil; {
		next := el.Next()
		x := el.Value.(*stranger)
		if keep(x.id) {
			out = append(out, x.status())
		} else {
			s.order.Remove(el)
			delete(s.byID, x.id)
		}
		el = next
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (x *stranger) status() Status {
	return Status{
		ID: x.id, State: Unregistered, LastSeenMS: x.lastSeen,
		Rejected: x.rejected, Topic: x.topic, Version: x.version,
	}
}
