package journal

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// batch is the events queued between two writes, and what their appenders
// wait on.
type batch struct {
	buf    []byte        // the lines, in ID order
	ends   []int         // ends[i] is where line i ends in buf
	events []event.Event // the events, IDs assigned
	done   chan struct{} // closed once err is final
	err    error
}

func newBatch() *batch { return &batch{done: make(chan struct{})} }

// Append assigns ev.ID, writes ev to the journal and returns once it is on
// disk (fsync'd). It does not wait for followers (Follow): they are woken
// and read the event on their own goroutines. ev must name a device and a
// type.
//
// If ctx ends while Append waits for another appender's batch, Append returns
// ctx's error at once; the event, already queued with its ID set, is still
// written with the next batch (by the next Append or by Close), so such an
// error means "not known to be durable", not "dropped". An appender that is
// itself writing a batch returns when the write and fsync do. Any other error
// leaves ev.ID as it was. Append keeps a shallow copy of ev: do not change
// ev.Data after.
func (j *Journal) Append(ctx context.Context, ev *event.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("journal: append: %w", err)
	}
	b, err := j.enqueue(ev)
	if err != nil {
		return err
	}
	select {
	case <-b.done:
		return b.err
	case j.token <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("journal: append event %d: %w", ev.ID, ctx.Err())
	}
	// Leader: no batch is being written, so b is either done or queued now.
	select {
	case <-b.done:
	default:
		j.commit()
	}
	<-j.token
	return b.err
}

// enqueue assigns ev the next ID and adds its line to the current batch.
func (j *Journal) enqueue(ev *event.Event) (*batch, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil, ErrClosed
	}
	if err := checkEvent(ev); err != nil {
		return nil, fmt.Errorf("journal: append: %w", err)
	}
	e := *ev
	e.ID = j.next
	line, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("journal: encode event of device %q type %q: %w", e.Device, e.Type, err)
	}
	j.next++
	ev.ID = e.ID
	b := j.cur
	b.buf = append(append(b.buf, line...), '\n')
	b.ends = append(b.ends, len(b.buf))
	b.events = append(b.events, e)
	return b, nil
}

// commit writes and syncs the current batch, releases its appenders and
// wakes the followers. The caller holds the token.
func (j *Journal) commit() {
	j.mu.Lock()
	b := j.cur
	if len(b.events) == 0 {
		j.mu.Unlock()
		return
	}
	j.cur = newBatch()
	j.mu.Unlock()
	defer close(b.done)

	first, last := b.events[0].ID, b.events[len(b.events)-1].ID
	err := j.prepare(last)
	if err == nil {
		err = j.write(b)
	}
	if err != nil {
		j.fail(fmt.Errorf("%w: events %d..%d not durable (not acknowledged): %w", ErrBroken, first, last, err))
		b.err = j.Err()
		return
	}
	j.mu.Lock()
	j.last = last
	recovered := j.failed
	j.failed = nil
	j.good = j.segs[len(j.segs)-1]
	j.grow(b.events)
	j.mu.Unlock()
	if recovered != nil {
		j.log.Warn("journal writes again", "after", recovered.Error(), "first_id", first)
	}
	j.ensureHeadroom()
	j.met.appends.Add(float64(len(b.events)))
	j.met.lastID.Set(float64(last))
}

// prepare readies the journal for a batch that ends at ID last: it repairs
// the segment a failed write left behind and reserves IDs (see tryReserve).
// The caller holds the token.
func (j *Journal) prepare(last uint64) error {
	if j.repair {
		if err := j.cutBack(); err != nil {
			return err
		}
	}
	if j.reserve != nil && last > j.reserved {
		j.tryReserve(last + ReserveBlock)
	}
	return nil
}

// write puts the batch on disk, starting new segments as they fill, and
// syncs it. The caller holds the token.
func (j *Journal) write(b *batch) error {
	start := 0
	for i := 0; i < len(b.events); {
		if j.file == nil || j.size > 0 && j.size+int64(b.ends[i]-start) > j.maxSeg {
			if err := j.rotate(b.events[i].ID); err != nil {
				return err
			}
		}
		// Take every following line that still fits (at least one).
		k := i + 1
		for k < len(b.events) && j.size+int64(b.ends[k]-start) <= j.maxSeg {
			k++
		}
		n, err := j.file.Write(b.buf[start:b.ends[k-1]])
		j.grew(int64(n))
		j.dirty = true
		if err != nil {
			return fmt.Errorf("write %s: %w", j.file.Name(), err)
		}
		start, i = b.ends[k-1], k
	}
	return j.sync()
}

// rotate syncs and closes the segment being written and creates the next
// one, named after the ID of its first event.
func (j *Journal) rotate(first uint64) error {
	if j.file != nil {
		if j.dirty {
			if err := j.sync(); err != nil {
				return err
			}
		}
		j.releaseHeadroom() // its blocks go to the new segment
		if err := j.file.Close(); err != nil {
			return fmt.Errorf("close %s: %w", j.file.Name(), err)
		}
		j.file = nil
	}
	f, err := createSegment(j.dir, first)
	if err != nil {
		return err
	}
	j.file, j.size = f, 0
	j.ensureHeadroom()
	j.mu.Lock()
	j.segs = append(j.segs, segment{first: first})
	n := len(j.segs)
	j.mu.Unlock()
	j.met.segments.Set(float64(n))
	// The new name must survive a crash as surely as the lines in it.
	return j.timedSync(func() error { return syncDir(j.dir) })
}

// sync fsyncs the segment being written.
func (j *Journal) sync() error {
	return j.timedSync(func() error {
		if err := j.file.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", j.file.Name(), err)
		}
		j.dirty = false
		return nil
	})
}

// timedSync runs one fsync and counts it.
func (j *Journal) timedSync(sync func() error) error {
	t0 := time.Now()
	err := sync()
	j.met.fsyncs.Inc()
	j.met.fsyncSeconds.Observe(time.Since(t0).Seconds())
	return err
}

// grew accounts for n bytes written to the last segment.
func (j *Journal) grew(n int64) {
	j.size += n
	j.mu.Lock()
	j.segs[len(j.segs)-1].size += n
	j.onDisk += n
	total := j.onDisk
	j.mu.Unlock()
	j.met.onDisk.Set(float64(total))
}
