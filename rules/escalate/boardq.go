package escalate

import (
	"slices"
	"strings"
	"sync"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// BoardResyncer is a Board that can be shown afresh. The board's own
// store may be behind the desk after a crash (the embedded broker writes
// the retained board behind the messages): Resync gets the current state
// of every open alarm, in ID order, and is to show those and clear
// whatever it shows of any other alarm. A Board without it gets Publish
// for each open alarm instead.
type BoardResyncer interface {
	Board
	Resync(open []alarm.Alarm)
}

// ResyncBoard shows every open alarm on the Board again, as it is now,
// after the updates already queued (see BoardResyncer). The gateway calls
// it once the board's transport serves after a start: updates the board
// lost in a crash, or could not send before the broker was up, are shown
// right. It never blocks; the desk does it on its board goroutine once it
// has loaded the store.
func (d *Desk) ResyncBoard() { d.boardq.resyncSoon() }

// boardQueue takes the desk's alarm updates to the Board on a goroutine
// of its own (Run starts it and waits for it), in order and without
// dropping any, so that a Board that waits never holds up a page. It
// keeps the last state it showed of every open alarm, for ResyncBoard.
type boardQueue struct {
	board Board
	wake  chan struct{} // capacity 1

	mu     sync.Mutex
	items  []alarm.Alarm
	resync bool
	closed bool

	shown map[string]alarm.Alarm // open alarms as last shown; run's alone once it runs
}

func newBoardQueue(b Board) *boardQueue {
	return &boardQueue{board: b, wake: make(chan struct{}, 1), shown: map[string]alarm.Alarm{}}
}

// seed takes the open alarms loaded from the store, before run starts.
func (q *boardQueue) seed(open []*alarm.Alarm) {
	for _, a := range open {
		q.shown[a.ID] = *a.Clone()
	}
}

// put queues one update; it never blocks.
func (q *boardQueue) put(a alarm.Alarm) {
	q.mu.Lock()
	q.items = append(q.items, a)
	q.mu.Unlock()
	q.poke()
}

// resyncSoon asks run for a resync after what is queued; it never blocks.
func (q *boardQueue) resyncSoon() {
	q.mu.Lock()
	q.resync = true
	q.mu.Unlock()
	q.poke()
}

// close makes run return once it has shown what is queued.
func (q *boardQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.poke()
}

func (q *boardQueue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// run shows the queued updates, in order, until close.
func (q *boardQueue) run() {
	for {
		q.mu.Lock()
		items, resync, closed := q.items, q.resync, q.closed
		q.items, q.resync = nil, false
		q.mu.Unlock()
		for _, a := range items {
			q.board.Publish(a)
			if a.State.Closed() {
				delete(q.shown, a.ID)
			} else {
				q.shown[a.ID] = a
			}
		}
		if resync {
			q.showAll()
		}
		if len(items) > 0 || resync {
			continue
		}
		if closed {
			return
		}
		<-q.wake
	}
}

// showAll shows every open alarm afresh.
func (q *boardQueue) showAll() {
	open := make([]alarm.Alarm, 0, len(q.shown))
	for _, a := range q.shown {
		open = append(open, a)
	}
	slices.SortFunc(open, func(a, b alarm.Alarm) int { return strings.Compare(a.ID, b.ID) })
	if r, ok := q.board.(BoardResyncer); ok {
		r.Resync(open)
		return
	}
	for _, a := range open {
		q.board.Publish(a)
	}
}
