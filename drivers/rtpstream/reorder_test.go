package rtpstream

import (
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestReorder: packets come out in sequence order across swaps and the
// 16-bit wrap; a gap is given up once the window fills; a new source
// flushes what was held.
func TestReorder(t *testing.T) {
	tests := []struct {
		name string
		in   []uint16
		out  []uint16
	}{
		{"in order over the wrap", []uint16{65534, 65535, 0, 1}, []uint16{65534, 65535, 0, 1}},
		{"swapped pair", []uint16{1, 3, 2, 4}, []uint16{1, 2, 3, 4}},
		{"swapped over the wrap", []uint16{65534, 0, 65535, 1}, []uint16{65534, 65535, 0, 1}},
		{"three late", []uint16{10, 14, 12, 13, 11, 15}, []uint16{10, 11, 12, 13, 14, 15}},
		{"lost: given up after the window", []uint16{1, 3, 4, 5, 6, 7, 8, 9, 10, 11}, []uint16{1, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{"late after giving up is dropped", []uint16{1, 3, 4, 5, 6, 7, 8, 9, 10, 2, 11}, []uint16{1, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{"far jump flushes", []uint16{1, 3, 500, 501}, []uint16{1, 3, 500, 501}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r reorder
			var got []uint16
			for _, seq := range tc.in {
				r.packet(&rtp.Header{SSRC: 1, SequenceNumber: seq}, []byte{byte(seq)}, false, func(h *rtp.Header, p []byte) {
					if p[0] != byte(h.SequenceNumber) {
						t.Fatalf("packet %d with payload %d", h.SequenceNumber, p[0])
					}
					got = append(got, h.SequenceNumber)
				})
			}
			if !slices.Equal(got, tc.out) {
				t.Errorf("got %v, want %v", got, tc.out)
			}
		})
	}
	var r reorder
	var got []uint32
	deliver := func(h *rtp.Header, _ []byte) { got = append(got, h.SSRC<<16|uint32(h.SequenceNumber)) }
	r.packet(&rtp.Header{SSRC: 1, SequenceNumber: 5}, nil, false, deliver)
	r.packet(&rtp.Header{SSRC: 1, SequenceNumber: 7}, nil, false, deliver)
	r.packet(&rtp.Header{SSRC: 2, SequenceNumber: 100}, nil, false, deliver)
	if want := []uint32{1<<16 | 5, 1<<16 | 7, 2<<16 | 100}; !slices.Equal(got, want) {
		t.Errorf("new source: %x, want %x", got, want)
	}
}

// TestReorderedPacketsKeepPictures is the regression test of reordering:
// a stream in which every 10th packet swaps with the next loses no
// picture (before, each swap cost one), and a lost packet still costs
// only its own picture.
func TestReorderedPacketsKeepPictures(t *testing.T) {
	pkts, frameOf := benchGOP(t)
	for _, tc := range []struct {
		name    string
		mangle  func(i int, order []int) []int
		dropped int64
	}{
		{"swaps", func(i int, o []int) []int {
			if i%10 == 3 && i+1 < len(o) {
				o[i], o[i+1] = o[i+1], o[i]
			}
			return o
		}, 0},
		{"one lost", func(i int, o []int) []int {
			if i == 77 {
				return append(o[:i], o[i+1:]...)
			}
			return o
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMonitor(testConfig(), t0, nil)
			order := make([]int, 0, 3*len(pkts))
			for i := range 3 * len(pkts) {
				order = append(order, i)
			}
			for i := 0; i < len(order); i++ {
				order = tc.mangle(i, order)
			}
			seq := uint16(65500)
			for _, n := range order {
				p := append([]byte(nil), pkts[n%len(pkts)]...)
				s := seq + uint16(n)
				ts := uint32(n/len(pkts)) * 90000
				ts += uint32(frameOf[n%len(pkts)]) * 3600
				p[2], p[3] = byte(s>>8), byte(s)
				p[4], p[5], p[6], p[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
				m.datagram(p, t0.Add(time.Duration(n)*time.Millisecond), from)
			}
			st := m.video.status()
			if st.DroppedUnits != tc.dropped || st.AccessUnits != 75-tc.dropped {
				t.Errorf("%+v, want %d dropped of 75", st, tc.dropped)
			}
		})
	}
}
