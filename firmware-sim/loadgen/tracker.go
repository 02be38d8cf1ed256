package loadgen

import (
	"slices"
	"sync"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// boxState is where one light box is in its press → page → close cycle.
type boxState int

const (
	free    boxState = iota // may be pressed
	pending                 // pressed, waiting for the first page
	open                    // paged (or has an alarm), waiting for it to close
	retired                 // its press was lost; pressed no more
)

type pressRec struct{ t0 time.Time }

type openRec struct {
	device   string
	resolved time.Time
}

// tracker follows every light box through its cycle. Its methods are
// called from the press loop and from phone and watcher callbacks, so it
// locks.
type tracker struct {
	mu        sync.Mutex
	lostAfter time.Duration
	noAlarms  bool // a box is free again once paged
	state     map[string]boxState
	queue     []string // free boxes, oldest first
	pend      map[string]pressRec
	open      map[string]openRec // alarm id → box
	seen      map[string]bool    // alarm ids already handled
	lat       []time.Duration
	presses   int
	lost      int
	joined    int
	unclosed  int
}

func newTracker(boxes []string, lostAfter time.Duration, noAlarms bool) *tracker {
	t := &tracker{
		lostAfter: lostAfter,
		noAlarms:  noAlarms,
		state:     make(map[string]boxState, len(boxes)),
		queue:     append([]string(nil), boxes...),
		pend:      map[string]pressRec{},
		open:      map[string]openRec{},
		seen:      map[string]bool{},
	}
	for _, b := range boxes {
		t.state[b] = free
	}
	return t
}

// press picks the box that has waited longest and marks it pressed at t0,
// the time just before publishing. ok is false when no box is free.
func (t *tracker) press(t0 time.Time) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.queue) == 0 {
		return "", false
	}
	b := t.queue[0]
	t.queue = t.queue[1:]
	t.state[b] = pending
	t.pend[b] = pressRec{t0: t0}
	t.presses++
	return b, true
}

// paged records a notification received at at. It reports whether the
// notification is the first of a new alarm on one of our boxes, which the
// caller then resolves.
func (t *tracker) paged(n event.Notification, at time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	st, ours := t.state[n.Device]
	if !ours || n.AlarmID == "" || t.seen[n.AlarmID] {
		return false
	}
	t.seen[n.AlarmID] = true
	if st == pending {
		t.lat = append(t.lat, at.Sub(t.pend[n.Device].t0))
		delete(t.pend, n.Device)
	}
	if t.noAlarms {
		if st == pending {
			t.state[n.Device] = free
			t.queue = append(t.queue, n.Device)
		}
		return true
	}
	t.state[n.Device] = open
	t.open[n.AlarmID] = openRec{device: n.Device, resolved: at}
	return true
}

// update records an open alarm's state as the gateway published it. A
// press waiting for its page on a box whose alarm already had gathered
// other triggers (count > 1) joined that open alarm — which pages nobody
// again — and is counted as joined, not lost; its box is pressed no more,
// since its alarm is not the bench's to resolve.
func (t *tracker) update(alarmID, device string, count int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if count <= 1 || t.state[device] != pending {
		return
	}
	delete(t.pend, device)
	t.state[device] = retired
	t.seen[alarmID] = true
	t.joined++
}

// closed records that the gateway closed an alarm; its box is free again
// once none of its alarms is open.
func (t *tracker) closed(alarmID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	rec, ok := t.open[alarmID]
	if !ok {
		return
	}
	delete(t.open, alarmID)
	t.release(rec.device)
}

func (t *tracker) release(box string) {
	for _, o := range t.open {
		if o.device == box {
			return
		}
	}
	if t.state[box] == open {
		t.state[box] = free
		t.queue = append(t.queue, box)
	}
}

// sweep counts presses not paged within lostAfter as lost (their boxes are
// retired: an alarm may still be open on them), and frees boxes whose
// resolved alarm was never seen to close.
func (t *tracker) sweep(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for b, p := range t.pend {
		if now.Sub(p.t0) > t.lostAfter {
			delete(t.pend, b)
			t.state[b] = retired
			t.lost++
		}
	}
	for id, o := range t.open {
		if now.Sub(o.resolved) > t.lostAfter {
			delete(t.open, id)
			t.unclosed++
			t.release(o.device)
		}
	}
}

// waiting reports how many presses still wait for their page.
func (t *tracker) waiting() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pend)
}

// fill copies the counts and latencies into r.
func (t *tracker) fill(r *Result) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r.Presses, r.Lost, r.Joined, r.Unclosed = t.presses, t.lost, t.joined, t.unclosed
	r.summarize(slices.Clone(t.lat))
}
