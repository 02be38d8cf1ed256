package h264

import (
	"bytes"
	"testing"

	"github.com/pion/rtp"
)

// FuzzDepacketizer feeds runs of packets (each a flags byte — marker,
// sequence skip, timestamp step, SSRC change — a length byte and the
// payload) and checks that it never panics, that every unit handed on is
// Annex B with a slice, and that every keyframe starts with an SPS.
func FuzzDepacketizer(f *testing.F) {
	pz := &packetizer{ssrc: 1}
	var seed []byte
	for _, au := range gop(3, 2500, 300) {
		for _, p := range pz.packets(au) {
			flags := byte(0)
			if p.Marker {
				flags = 1
			}
			pl := p.Payload[:min(len(p.Payload), 255)]
			seed = append(append(seed, flags, byte(len(pl))), pl...)
		}
	}
	f.Add(seed)
	f.Add([]byte{1, 3, 0x78, 0, 9})
	f.Add([]byte{0, 4, 0x7c, 0x85, 1, 2, 1, 4, 0x7c, 0x45, 3, 4})
	f.Add([]byte{1, 6, 0x62, 0x01, 0x93, 1, 2, 3})
	f.Fuzz(func(t *testing.T, in []byte) {
		var bad string
		d := New(Config{MaxAccessUnit: 4096}, func(au AccessUnit) {
			switch {
			case !bytes.HasPrefix(au.Data, startCode[:]):
				bad = "unit without a start code"
			case au.Key && au.Data[4]&typeMask != NALSPS:
				bad = "keyframe without SPS in front"
			case !bytes.Contains(au.Data, []byte{0, 0, 0, 1}):
				bad = "no NAL unit"
			}
		})
		h := rtp.Header{Version: 2, SSRC: 1}
		packets := int64(0)
		for len(in) >= 2 {
			flags, n := in[0], int(in[1])
			in = in[2:]
			n = min(n, len(in))
			h.Marker = flags&1 != 0
			h.SequenceNumber += 1 + uint16(flags>>1&1)
			h.Timestamp += uint32(flags>>2&1) * 3600
			h.SSRC += uint32(flags >> 3 & 1)
			d.Packet(&h, in[:n])
			in = in[n:]
			packets++
			if bad != "" {
				t.Fatal(bad)
			}
		}
		st := d.Stats()
		if st.Units+st.Dropped > packets || st.Keyframes > st.Units {
			t.Fatalf("%d packets gave %+v", packets, st)
		}
	})
}
