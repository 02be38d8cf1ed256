package window

import "container/heap"

// Deadlines is a set of keyed deadlines, each a Unix millisecond time,
// ordered so that the earliest comes out first. Arming a key again moves
// its deadline; there is at most one per key.
type Deadlines struct {
	h     deadlineHeap
	index map[string]*deadline
}

// deadline is one key's deadline. at is where it sits in the heap; want
// is the deadline itself, never earlier than at. Moving a deadline later
// only sets want (no heap work, the common case of a device that keeps
// speaking); the heap catches up lazily when at comes to the top.
type deadline struct {
	key  string
	at   int64
	want int64
	pos  int
}

// NewDeadlines makes an empty set.
func NewDeadlines() *Deadlines {
	return &Deadlines{index: make(map[string]*deadline)}
}

// Arm sets key's deadline to at, replacing any earlier or later one.
func (d *Deadlines) Arm(key string, at int64) {
	if x := d.index[key]; x != nil {
		x.want = at
		if at < x.at {
			x.at = at
			heap.Fix(&d.h, x.pos)
		}
		return
	}
	x := &deadline{key: key, at: at, want: at}
	d.index[key] = x
	heap.Push(&d.h, x)
}

// Disarm removes key's deadline, if it has one.
func (d *Deadlines) Disarm(key string) {
	if x := d.index[key]; x != nil {
		heap.Remove(&d.h, x.pos)
		delete(d.index, key)
	}
}

// At returns key's deadline.
func (d *Deadlines) At(key string) (int64, bool) {
	if x := d.index[key]; x != nil {
		return x.want, true
	}
	return 0, false
}

// settle moves deadlines that were put off from the top of the heap to
// their place.
func (d *Deadlines) settle() {
	for len(d.h) > 0 && d.h[0].want > d.h[0].at {
		d.h[0].at = d.h[0].want
		heap.Fix(&d.h, 0)
	}
}

// Next returns the earliest deadline.
func (d *Deadlines) Next() (int64, bool) {
	d.settle()
	if len(d.h) == 0 {
		return 0, false
	}
	return d.h[0].at, true
}

// Due removes every deadline at or before now, earliest first, and calls
// fn with each.
func (d *Deadlines) Due(now int64, fn func(key string, at int64)) {
	for d.settle(); len(d.h) > 0 && d.h[0].at <= now; d.settle() {
		x := heap.Pop(&d.h).(*deadline)
		delete(d.index, x.key)
		fn(x.key, x.at)
	}
}

// Len is the number of armed deadlines.
func (d *Deadlines) Len() int { return len(d.h) }

// deadlineHeap is a min-heap of deadlines by time, then key, so equal
// deadlines come out in a stable order.
type deadlineHeap []*deadline

func (h deadlineHeap) Len() int { return len(h) }
func (h deadlineHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].key < h[j].key
}
func (h deadlineHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].pos = i
	h[j].pos = j
}
func (h *deadlineHeap) Push(x any) {
	d := x.(*deadline)
	d.pos = len(*h)
	*h = append(*h, d)
}
func (h *deadlineHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return d
}

// Each calls fn with every armed deadline, in no particular order; Arm
// restores it.
func (d *Deadlines) Each(fn func(key string, at int64)) {
	for _, x := range d.h {
		fn(x.key, x.want)
	}
}
