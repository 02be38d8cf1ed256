package escalate

import "container/heap"

// dueKind is what falls due.
type dueKind int

const (
	dueStep    dueKind = iota // the next escalation step of an alarm
	dueRetry                  // another try to page one staff member
	dueRepeat                 // page a step's staff again (not acknowledged yet)
	dueArrive                 // page the chain again (acknowledged, nobody on scene)
	dueTestEnd                // close a test alarm (TestCloseAfter after its raise)
)

// due is one deadline. Deadlines are checked against the alarm when they
// fall due and dropped if the alarm moved on (acknowledged, closed, step
// already sent), so nothing needs removing from the schedule early.
type due struct {
	at      int64 // Unix ms
	kind    dueKind
	alarm   string
	step    int    // dueStep: the step to send; dueRepeat: the step to repeat
	staff   string // dueRetry: whom to page again
	attempt int    // dueRetry: how many tries failed so far
}

// schedule is a min-heap of deadlines, owned by the desk goroutine.
type schedule struct{ h dueHeap }

func (s *schedule) push(d due) { heap.Push(&s.h, d) }

// next returns the earliest deadline.
func (s *schedule) next() (int64, bool) {
	if len(s.h) == 0 {
		return 0, false
	}
	return s.h[0].at, true
}

// pop removes and returns the earliest deadline if it is at or before nowMS.
func (s *schedule) pop(nowMS int64) (due, bool) {
	if len(s.h) == 0 || s.h[0].at > nowMS {
		return due{}, false
	}
	return heap.Pop(&s.h).(due), true
}

type dueHeap []due

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].alarm < h[j].alarm // older alarms first within a millisecond
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(due)) }
func (h *dueHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	*h = old[:len(old)-1]
	return d
}
