package videorec

import (
	"testing"
	"time"
)

var r0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// feedRing adds n frames of a 25 fps stream with a keyframe every gop
// frames, keyframes of size key and others of size p, from frame first.
func feedRing(r *ring, first, n, gop, key, p int, ssrc uint32) {
	buf := make([]byte, max(key, p))
	for i := first; i < first+n; i++ {
		size := p
		if i%gop == 0 {
			size = key
		}
		buf[0] = byte(i)
		r.add(buf[:size], i%gop == 0, uint32(i*3600), ssrc, r0.Add(time.Duration(i)*40*time.Millisecond))
	}
}

// TestRingKeepsAgeStartingOnKeyframe: the ring holds at least its age
// (up to a GOP more), always from a keyframe, and drops what came
// before the first keyframe.
func TestRingKeepsAgeStartingOnKeyframe(t *testing.T) {
	r := newRing(10*time.Second, 64<<20, 90000)
	defer r.close()
	feedRing(r, 7, 1000, 50, 20000, 2000, 1) // starts mid-GOP
	st := r.stats()
	if st.span < 10*time.Second || st.span >= 12*time.Second {
		t.Errorf("span %v, want 10–12 s", st.span)
	}
	if !r.at(0).key || st.dropsWait != 43 {
		t.Errorf("oldest key %v, wait drops %d (want 43)", r.at(0).key, st.dropsWait)
	}
	if st.capacity > 1<<20 {
		t.Errorf("arena %d bytes for %d bytes of frames", st.capacity, st.bytes)
	}
}

// TestRingMemoryCap: a stream too rich for the cap keeps less than its
// age but never more than the cap, still from a keyframe; a GOP larger
// than the whole cap empties the ring until the next keyframe.
func TestRingMemoryCap(t *testing.T) {
	r := newRing(30*time.Second, 1<<20, 90000)
	defer r.close()
	feedRing(r, 0, 2000, 25, 60000, 20000, 1) // ~4 Mbit/s
	st := r.stats()
	if st.bytes > 1<<20 || st.capacity != 1<<20 || !r.at(0).key || st.span < 960*time.Millisecond { // at least one whole GOP
		t.Fatalf("ring %+v", st)
	}
	feedRing(r, 2000, 100, 100, 60000, 20000, 1) // one 4 s GOP of 2 MB
	st = r.stats()
	if st.dropsOver == 0 || st.bytes > 1<<20 || (st.frames > 0 && !r.at(0).key) {
		t.Fatalf("oversized GOP: %+v", st)
	}
}

// TestRingRead: reading follows the ring; a reader that fell behind is
// told so and resumes at the oldest keyframe; a new source's frames wait
// for its keyframe and continue the timeline.
func TestRingRead(t *testing.T) {
	r := newRing(2*time.Second, 64<<20, 90000)
	defer r.close()
	feedRing(r, 0, 100, 25, 500, 100, 1)
	from, ok := r.startAt(r0.Add(3*time.Second+20*time.Millisecond), time.Second)
	if !ok || from != 75 {
		t.Fatalf("start %d %v, want 75", from, ok)
	}
	var got []Frame
	next, lost := r.read(from, 1<<20, func(f Frame) { got = append(got, f) })
	if lost || next != 100 || len(got) != 25 || !got[0].Key || got[24].PTS-got[0].PTS != 24*3600 {
		t.Fatalf("read %d frames to %d, lost %v", len(got), next, lost)
	}
	feedRing(r, 100, 200, 25, 500, 100, 1)
	if _, lost = r.read(next, 1<<20, func(Frame) {}); !lost {
		t.Errorf("reader behind the ring not told")
	}
	last := r.stats().newest
	feedRing(r, 310, 30, 25, 500, 100, 2) // restarted camera, mid-GOP: frames 310–324 wait
	st := r.stats()
	if st.dropsWait != 15 {
		t.Errorf("wait drops %d, want 15", st.dropsWait)
	}
	var pts []int64
	r.read(0, 1<<30, func(f Frame) { pts = append(pts, f.PTS) })
	for i := 1; i < len(pts); i++ {
		if pts[i] <= pts[i-1] {
			t.Fatalf("timeline runs back at %d: %v", i, pts[i-1:i+1])
		}
	}
	if !st.newest.After(last) {
		t.Errorf("newest %v", st.newest)
	}
}

// TestRingAllocatesNothing: once grown, keeping a frame allocates nothing.
func TestRingAllocatesNothing(t *testing.T) {
	r := newRing(5*time.Second, 16<<20, 90000)
	defer r.close()
	feedRing(r, 0, 1000, 50, 30000, 6000, 1)
	i := 1000
	buf := make([]byte, 30000)
	a := testing.AllocsPerRun(2000, func() {
		size := 6000
		if i%50 == 0 {
			size = 30000
		}
		r.add(buf[:size], i%50 == 0, uint32(i*3600), 1, r0.Add(time.Duration(i)*40*time.Millisecond))
		i++
	})
	if a != 0 {
		t.Fatalf("%.2f allocations per frame", a)
	}
}
