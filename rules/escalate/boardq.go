package escalate

import (
	"sync"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// boardQueue takes the desk's alarm updates to the Board on a goroutine
// of its own (Run starts it and waits for it), in order and without
// dropping any, so that a Board that waits (the embedded broker stores a
// retained message before Publish returns) never holds up a page.
type boardQueue struct {
	board Board
	wake  chan struct{} // capacity 1

	mu     sync.Mutex
	items  []alarm.Alarm
	closed bool
}

func newBoardQueue(b Board) *boardQueue {
	return &boardQueue{board: b, wake: make(chan struct{}, 1)}
}

// put queues one update; it never blocks.
func (q *boardQueue) put(a alarm.Alarm) {
	q.mu.Lock()
	q.items = append(q.items, a)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// close makes run return once it has shown what is queued.
func (q *boardQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// run shows the queued updates, in order, until close.
func (q *boardQueue) run() {
	for {
		q.mu.Lock()
		items, closed := q.items, q.closed
		q.items = nil
		q.mu.Unlock()
		for _, a := range items {
			q.board.Publish(a)
		}
		if len(items) > 0 {
			continue
		}
		if closed {
			return
		}
		<-q.wake
	}
}
