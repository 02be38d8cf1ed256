package videorec

import (
	"testing"
	"time"
)

// FuzzRing drives the ring with frames of fuzzed sizes, keyframe flags,
// sources and arrival steps, and reads from fuzzed places: it never
// panics, never holds more than its cap, always starts on a keyframe,
// keeps its media timeline running forward, and every frame read back
// is the frame that was kept (its bytes carry its number).
func FuzzRing(f *testing.F) {
	f.Add([]byte{0x81, 10, 0x01, 200, 0x02, 90, 0x81, 255, 0x10, 3})
	f.Add([]byte{0x80, 255, 0x80, 255, 0x80, 255, 0x00, 1, 0xc1, 7})
	f.Fuzz(func(t *testing.T, in []byte) {
		const maxBytes = 64 << 10
		r := newRing(2*time.Second, maxBytes, 90000)
		defer r.close()
		at, ts, ssrc := r0, uint32(0), uint32(1)
		buf := make([]byte, 1+255*16*20)
		for len(in) >= 2 {
			op, v := in[0], in[1]
			in = in[2:]
			if op&0x40 != 0 { // read from a fuzzed place
				from := uint64(v)
				if r.next > 0 {
					from = r.next - 1 - uint64(v)%r.next
				}
				r.read(from, int(v)*100, func(f Frame) {
					for _, b := range f.Data {
						if b != byte(f.Index) {
							t.Fatalf("frame %d read back with byte %d", f.Index, b)
						}
					}
				})
				continue
			}
			if op&0x10 != 0 {
				ssrc++
			}
			size := 1 + int(v)*int(op&0x0f+1)*20
			at = at.Add(time.Duration(op&0x20+1) * 10 * time.Millisecond)
			ts += uint32(op&0x0f) * 900
			idx := byte(r.next)
			for i := range size {
				buf[i] = idx
			}
			r.add(buf[:size], op&0x80 != 0, ts, ssrc, at)
			if r.bytes > maxBytes || r.capacity > maxBytes || (r.count > 0 && !r.at(0).key) {
				t.Fatalf("ring: %d bytes in %d, %d frames", r.bytes, r.capacity, r.count)
			}
			for i := 1; i < r.count; i++ {
				if p, q := r.at(i-1), r.at(i); q.pts < p.pts || q.index != p.index+1 {
					t.Fatalf("frame %d (pts %d) after %d (pts %d)", q.index, q.pts, p.index, p.pts)
				}
			}
		}
		_ = r.stats()
		r.close()
		if r.capacity != 0 {
			t.Fatalf("closed ring holds %d bytes", r.capacity)
		}
	})
}
