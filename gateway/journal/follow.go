package journal

import (
	"context"
	"fmt"
	"sort"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// followChunk bounds how many events a follower copies from the tail at a
// time, so appenders never wait long on the journal's lock.
const followChunk = 256

// Follow calls fn, one event at a time and in strictly increasing ID order,
// for every durable event with an ID greater than after: first those
// already durable, then each new one once its batch is synced. It runs on
// the caller's goroutine; appenders never wait for it. A follower close
// behind is served from the last Options.Tail events kept in memory; one
// further behind (a start, or a follower that fell behind) reads them from
// disk, as Replay does, and then goes on from memory.
//
// Follow returns fn's first error, ctx's error once ctx is done, or
// ErrClosed once the journal is closed and every event durable before
// Close has been given. fn must not call Close or Prune; it may call
// Append (the next events reach it in a later call).
func (j *Journal) Follow(ctx context.Context, after uint64, fn func(event.Event) error) error {
	next := after // every event up to next has been given
	var buf []event.Event
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("journal: follow after %d: %w", next, err)
		}
		j.mu.Lock()
		last, ended, grown := j.last, j.ended, j.grown
		inTail := next >= j.tailAfter
		if inTail && next < last {
			buf = j.tailAbove(next, buf[:0])
		}
		j.mu.Unlock()
		switch {
		case next >= last && ended:
			return ErrClosed
		case next >= last:
			select {
			case <-grown:
			case <-ctx.Done():
				return fmt.Errorf("journal: follow after %d: %w", next, ctx.Err())
			}
		case inTail:
			for i, ev := range buf {
				if err := fn(ev); err != nil {
					return err
				}
				next = ev.ID
				buf[i] = event.Event{} // its Data is the follower's to drop
			}
		default:
			err := j.replayThrough(next, last, func(ev event.Event) error {
				if err := fn(ev); err != nil {
					return err
				}
				next = ev.ID
				return nil
			})
			if err != nil {
				return err
			}
			next = last // past lines damaged on disk, too
		}
	}
}

// tailAbove appends to buf up to followChunk events of the tail with IDs
// above after. The caller holds mu and has checked after ≥ tailAfter.
func (j *Journal) tailAbove(after uint64, buf []event.Event) []event.Event {
	n := len(j.tail.buf)
	// The ring holds IDs in increasing order from head: find the first
	// above after.
	i := sort.Search(j.tail.n, func(k int) bool { return j.tail.buf[(j.tail.head+k)%n].ID > after })
	for k := i; k < j.tail.n && k < i+followChunk; k++ {
		buf = append(buf, j.tail.buf[(j.tail.head+k)%n])
	}
	return buf
}

// ring is the tail: the latest durable events, oldest at head. Its array
// is allocated once, at its full size, with the first event.
type ring struct {
	buf  []event.Event
	head int
	n    int
}

// grow adds a durable batch to the tail, dropping the oldest events past
// tailMax, and wakes the followers. The caller holds mu.
func (j *Journal) grow(batch []event.Event) {
	t := &j.tail
	if t.buf == nil {
		t.buf = make([]event.Event, j.tailMax)
	}
	size := len(t.buf)
	for _, ev := range batch {
		if t.n == size {
			j.tailAfter = t.buf[t.head].ID
			t.head = (t.head + 1) % size
			t.n--
		}
		t.buf[(t.head+t.n)%size] = ev
		t.n++
	}
	close(j.grown)
	j.grown = make(chan struct{})
}

// end marks the journal as ended (Close wrote its last batch) and wakes
// the followers, which return ErrClosed once they have given everything.
func (j *Journal) end() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.ended = true
	close(j.grown)
	j.grown = make(chan struct{})
}
