package videorec

import (
	"sync"
	"time"
)

// Frame is one picture in the ring.
type Frame struct {
	// Index numbers the camera's frames in the order they were kept.
	Index uint64
	// Data is the access unit in Annex B form.
	Data []byte
	// PTS is the frame's time on the camera's continuous media timeline,
	// in RTP clock units: RTP timestamp steps within one source, arrival
	// gaps across a source change or a timestamp jump.
	PTS int64
	// At is when the frame arrived (wall clock).
	At time.Time
	// Key says a decoder can start at the frame.
	Key bool
}

// slot is a frame's place in a chunk.
type slot struct {
	index  uint64
	c      *chunk
	off, n int
	pts    int64
	at     time.Time
	key    bool
}

// Why the ring refused a frame; label values of gridwatch_video_ring_dropped_frames_total.
const (
	DropWaitKey  = "wait_keyframe" // no keyframe yet since start, a source change or an overflow
	DropOversize = "oversize"      // one keyframe's group of pictures outgrew the memory cap
)

// keepFree is how many emptied chunks a ring keeps for reuse; the rest
// go back to the system, so a camera whose bitrate fell gives memory back.
const keepFree = 2

// ring keeps the last maxAge of a camera's frames in at most maxBytes,
// starting on a keyframe: whole groups of pictures leave from the old
// end. Frames are packed into chunks (chunkSize, or one frame's size if
// larger) taken in turn and reused once their frames are gone, so
// keeping a frame costs no allocation once the ring has its chunks, and
// the chunks are mapped outside the Go heap where the system allows:
// 32 cameras' rings are most of the gateway's memory, and on the heap
// they would double it (the collector lets the heap grow to twice what
// is live before it runs). Safe for concurrent use.
type ring struct {
	maxAge    time.Duration
	maxBytes  int
	chunkSize int
	clock     int64 // RTP clock rate

	mu       sync.Mutex
	head     *chunk   // the chunk frames are added to
	free     []*chunk // emptied chunks for reuse
	capacity int      // bytes of all chunks held (in use and free)
	slots    []slot   // circular: slots[(first+i)%len] for i < count
	first    int
	count    int
	keys     int // keyframes among the slots
	bytes    int // sum of the frames' sizes
	next     uint64
	wait     bool // drop frames until a keyframe
	last     slot // newest frame kept (for the timeline)
	lsrc     uint32
	lts      uint32
	kept     bool // a frame was ever kept
	drops    [2]int64
	evicts   int64
}

// chunk is a run of frames; frames counts those still in the ring.
type chunk struct {
	buf    []byte
	used   int
	frames int
	mapped bool
}

func newRing(maxAge time.Duration, maxBytes int, clock int) *ring {
	return &ring{maxAge: maxAge, maxBytes: maxBytes, chunkSize: min(256<<10, maxBytes), clock: int64(clock), wait: true}
}

func (r *ring) at(i int) *slot { return &r.slots[(r.first+i)%len(r.slots)] }

// add keeps one access unit of source ssrc with RTP timestamp ts that
// arrived at at. It copies data.
func (r *ring) add(data []byte, key bool, ts, ssrc uint32, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.kept && ssrc != r.lsrc {
		r.wait = true // a new source: nothing before its first keyframe decodes
	}
	if r.wait && !key {
		r.drops[0]++
		return
	}
	if len(data) > r.maxBytes {
		r.clearLocked()
		r.drops[1]++
		return
	}
	for !r.room(len(data)) {
		if r.count > 0 && (r.keys > 1 || key) {
			r.evictGOP()
			continue
		}
		// The group of pictures being kept is larger than the cap:
		// start over at the next keyframe.
		r.clearLocked()
		r.drops[1]++
		if !key {
			return
		}
	}
	r.wait = false
	c := r.head
	copy(c.buf[c.used:], data)
	s := slot{index: r.next, c: c, off: c.used, n: len(data), pts: r.pts(ts, ssrc, at), at: at, key: key}
	c.used += len(data)
	c.frames++
	r.next++
	r.push(s)
	r.last, r.lsrc, r.lts, r.kept = s, ssrc, ts, true
	// Keep at least maxAge: drop the oldest group only once the next one
	// alone reaches back that far.
	for r.keys > 1 {
		i := 1
		for !r.at(i).key {
			i++
		}
		if at.Sub(r.at(i).at) < r.maxAge {
			break
		}
		r.evictGOP()
	}
}

// room makes the head chunk one with n bytes free, within maxBytes; false
// if that takes evicting frames first.
func (r *ring) room(n int) bool {
	if r.head != nil && len(r.head.buf)-r.head.used >= n {
		return true
	}
	old := r.head
	r.head = nil
	if old != nil && old.frames == 0 {
		r.release(old)
	}
	for i, c := range r.free {
		if len(c.buf) >= n {
			r.free = append(r.free[:i], r.free[i+1:]...)
			r.head = c
			return true
		}
	}
	size := max(r.chunkSize, n)
	for r.capacity+size > r.maxBytes && len(r.free) > 0 {
		r.drop(r.free[0]) // too small for n: give its memory to a bigger one
		r.free = r.free[1:]
	}
	if r.capacity+size > r.maxBytes {
		if old != nil && old.frames > 0 {
			r.head = old // keep filling it once frames leave
		}
		return false
	}
	r.head = newChunk(size)
	r.capacity += size
	return true
}

// release files an emptied chunk for reuse, or gives it back.
func (r *ring) release(c *chunk) {
	c.used, c.frames = 0, 0
	if c == r.head {
		return
	}
	if len(r.free) < keepFree {
		r.free = append(r.free, c)
		return
	}
	r.drop(c)
}

func (r *ring) drop(c *chunk) {
	r.capacity -= len(c.buf)
	c.unmap()
}

// pts places a frame on the media timeline.
func (r *ring) pts(ts, ssrc uint32, at time.Time) int64 {
	if !r.kept {
		return 0
	}
	if ssrc == r.lsrc {
		if d := int64(int32(ts - r.lts)); d > -r.clock && d < 10*r.clock {
			return r.last.pts + d
		}
	}
	d := int64(at.Sub(r.last.at)) * r.clock / int64(time.Second)
	return r.last.pts + max(d, 1)
}

func (r *ring) push(s slot) {
	if r.count == len(r.slots) {
		grown := make([]slot, max(2*len(r.slots), 256))
		for i := range r.count {
			grown[i] = *r.at(i)
		}
		r.slots, r.first = grown, 0
	}
	*r.at(r.count) = s
	r.count++
	r.bytes += s.n
	if s.key {
		r.keys++
	}
}

func (r *ring) pop() {
	s := r.at(0)
	r.bytes -= s.n
	if s.key {
		r.keys--
	}
	if s.c.frames--; s.c.frames == 0 && s.c != r.head {
		r.release(s.c)
	}
	s.c = nil
	r.first = (r.first + 1) % len(r.slots)
	r.count--
	r.evicts++
}

// evictGOP drops the oldest keyframe and the frames that depend on it.
func (r *ring) evictGOP() {
	r.pop()
	for r.count > 0 && !r.at(0).key {
		r.pop()
	}
}

// clearLocked empties the ring and waits for a keyframe.
func (r *ring) clearLocked() {
	for r.count > 0 {
		r.pop()
	}
	if r.head != nil {
		r.head.used = 0
	}
	r.wait = true
}

// clear empties the ring (the stream became one we cannot keep).
func (r *ring) clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clearLocked()
}

// close gives every chunk back; the ring is empty and may be used again.
func (r *ring) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clearLocked()
	for _, c := range r.free {
		r.drop(c)
	}
	r.free = nil
	if r.head != nil {
		r.drop(r.head)
		r.head = nil
	}
}

// startAt is where a clip with pre-roll pre from t starts: the index of
// the latest keyframe that arrived at or before t, or of the oldest frame
// if every keyframe came later; false if the ring is empty. A camera that
// went dark before t gives the pre-roll before it went dark (what it saw
// last may be the evidence) — unless that was more than a ring's length
// before t: then the clip starts with the next frame to come.
func (r *ring) startAt(t time.Time, pre time.Duration) (uint64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.count == 0 {
		return 0, false
	}
	if newest := r.at(r.count - 1).at; newest.Before(t) {
		if newest.Before(t.Add(-r.maxAge)) {
			return r.next, true
		}
		t = newest.Add(-pre)
	}
	start := r.at(0).index
	for i := range r.count {
		s := r.at(i)
		if s.at.After(t) {
			break
		}
		if s.key {
			start = s.index
		}
	}
	return start, true
}

// read hands fn copies of the frames from index from on, at most
// maxBytes of them (at least one), and returns the index to read next.
// lost says frames from on were evicted before they were read: reading
// goes on at the oldest keyframe.
func (r *ring) read(from uint64, maxBytes int, fn func(Frame)) (next uint64, lost bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.count == 0 {
		return from, from < r.next
	}
	oldest := r.at(0).index
	if from < oldest {
		from, lost = oldest, true
	}
	got := 0
	for i := int(from - oldest); i < r.count && got < maxBytes; i++ {
		s := r.at(i)
		fn(Frame{Index: s.index, Data: append([]byte(nil), s.c.buf[s.off:s.off+s.n]...), PTS: s.pts, At: s.at, Key: s.key})
		got += s.n
		from = s.index + 1
	}
	return from, lost
}

// ringStats is a snapshot for metrics and status.
type ringStats struct {
	frames, bytes, capacity int
	span                    time.Duration
	oldest, newest          time.Time
	dropsWait, dropsOver    int64
	evicted                 int64
}

func (r *ring) stats() ringStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := ringStats{frames: r.count, bytes: r.bytes, capacity: r.capacity, dropsWait: r.drops[0], dropsOver: r.drops[1], evicted: r.evicts}
	if r.count > 0 {
		st.oldest, st.newest = r.at(0).at, r.at(r.count-1).at
		st.span = time.Duration((r.at(r.count-1).pts - r.at(0).pts) * int64(time.Second) / r.clock)
	}
	return st
}
