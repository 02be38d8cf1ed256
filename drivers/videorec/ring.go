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

// slot is a frame's place in the arena.
type slot struct {
	index  uint64
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

// ring keeps the last maxAge of a camera's frames in at most maxBytes,
// starting on a keyframe: whole groups of pictures leave from the old
// end. Frames live in one arena that grows in steps up to maxBytes,
// used circularly, so a frame costs no allocation once the arena has
// grown. Safe for concurrent use.
type ring struct {
	maxAge   time.Duration
	maxBytes int
	clock    int64 // RTP clock rate

	mu     sync.Mutex
	arena  []byte
	w      int    // where the next frame may start
	slots  []slot // circular: slots[(first+i)%len] for i < count
	first  int
	count  int
	keys   int // keyframes among the slots
	bytes  int // sum of the frames' sizes
	next   uint64
	wait   bool // drop frames until a keyframe
	last   slot // newest frame kept (for the timeline)
	lsrc   uint32
	lts    uint32
	kept   bool // a frame was ever kept
	drops  [2]int64
	evicts int64
}

func newRing(maxAge time.Duration, maxBytes int, clock int) *ring {
	return &ring{maxAge: maxAge, maxBytes: maxBytes, clock: int64(clock), wait: true}
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
	off, ok := r.place(len(data))
	for !ok {
		switch {
		case len(r.arena) < r.maxBytes:
			r.grow(len(data))
		case r.count > 0 && (r.keys > 1 || key):
			r.evictGOP()
		default:
			// The group of pictures being kept is larger than the cap:
			// start over at the next keyframe.
			r.clearLocked()
			r.drops[1]++
			if !key {
				return
			}
		}
		off, ok = r.place(len(data))
	}
	r.wait = false
	copy(r.arena[off:], data)
	s := slot{index: r.next, off: off, n: len(data), pts: r.pts(ts, ssrc, at), at: at, key: key}
	r.next++
	r.push(s)
	r.w = off + len(data)
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

// place finds room for n bytes in the arena.
func (r *ring) place(n int) (int, bool) {
	if r.count == 0 {
		return 0, n <= len(r.arena)
	}
	tail := r.at(0).off
	if r.w > tail { // in use: [tail, w)
		if len(r.arena)-r.w >= n {
			return r.w, true
		}
		return 0, tail >= n
	}
	return r.w, tail-r.w >= n // wrapped: in use [tail, end) and [0, w)
}

// grow enlarges the arena by a quarter (at least to fit n more), up to
// maxBytes, laying the frames out from its start again. Small steps keep
// the arena near what the camera's bitrate needs (32 cameras' rings are
// most of the gateway's memory); there are few of them, once per camera.
func (r *ring) grow(n int) {
	size := max(len(r.arena)*5/4, 256<<10, (r.bytes+n)*9/8)
	size = min(size, r.maxBytes)
	a := make([]byte, size)
	w := 0
	for i := range r.count {
		s := r.at(i)
		copy(a[w:], r.arena[s.off:s.off+s.n])
		s.off = w
		w += s.n
	}
	r.arena, r.w = a, w
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
	r.w, r.wait = 0, true
}

// clear empties the ring (the stream became one we cannot keep).
func (r *ring) clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clearLocked()
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
	for i := int(from - oldest); i < r.count && (got == 0 || got < maxBytes); i++ {
		s := r.at(i)
		fn(Frame{Index: s.index, Data: append([]byte(nil), r.arena[s.off:s.off+s.n]...), PTS: s.pts, At: s.at, Key: s.key})
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
	st := ringStats{frames: r.count, bytes: r.bytes, capacity: len(r.arena), dropsWait: r.drops[0], dropsOver: r.drops[1], evicted: r.evicts}
	if r.count > 0 {
		st.oldest, st.newest = r.at(0).at, r.at(r.count-1).at
		st.span = time.Duration((r.at(r.count-1).pts - r.at(0).pts) * int64(time.Second) / r.clock)
	}
	return st
}
