package h264

import (
	"bytes"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// nal builds a NAL unit of type t (nal_ref_idc 3) with n bytes of body.
func nal(t byte, n int, fill byte) []byte {
	b := make([]byte, 1+n)
	b[0] = 0x60 | t
	for i := range n {
		b[1+i] = fill + byte(i)
	}
	return b
}

// annexB joins NAL units with start codes.
func annexB(nals ...[]byte) []byte {
	var out []byte
	for _, n := range nals {
		out = append(append(out, 0, 0, 0, 1), n...)
	}
	return out
}

// gop is a synthetic stream: a keyframe (SPS, PPS, a large IDR slice)
// then frames-1 P slices, one access unit each.
func gop(frames, idrSize, pSize int) [][]byte {
	aus := [][]byte{annexB(nal(NALSPS, 12, 0x10), nal(NALPPS, 4, 0x20), nal(NALIDR, idrSize, 0x30))}
	for i := 1; i < frames; i++ {
		aus = append(aus, annexB(nal(NALSlice, pSize, byte(i))))
	}
	return aus
}

// packetizer turns access units into RTP packets with pion's payloader:
// STAP-A for the parameter sets with the IDR's head, FU-A for slices
// over the MTU, the marker on each unit's last packet.
type packetizer struct {
	pay  codecs.H264Payloader
	ssrc uint32
	seq  uint16
	ts   uint32
}

func (p *packetizer) packets(au []byte) []*rtp.Packet {
	var out []*rtp.Packet
	pls := p.pay.Payload(1200, au)
	for i, pl := range pls {
		out = append(out, &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: p.seq,
			Timestamp: p.ts, SSRC: p.ssrc, Marker: i == len(pls)-1}, Payload: pl})
		p.seq++
	}
	p.ts += 3600
	return out
}

// collect is an emit that keeps copies of the access units.
type collect struct{ aus []AccessUnit }

func (c *collect) emit(au AccessUnit) {
	au.Data = bytes.Clone(au.Data)
	c.aus = append(c.aus, au)
}

func feed(d *Depacketizer, pkts []*rtp.Packet) {
	for _, p := range pkts {
		d.Packet(&p.Header, p.Payload)
	}
}

// pionUnits is what pion's own depacketizer makes of the same packets,
// joined per access unit (by marker bit).
func pionUnits(t *testing.T, pkts []*rtp.Packet) [][]byte {
	t.Helper()
	var p codecs.H264Packet
	var out [][]byte
	var cur []byte
	for _, pk := range pkts {
		b, err := p.Unmarshal(pk.Payload)
		if err != nil {
			t.Fatalf("pion: %v", err)
		}
		cur = append(cur, b...)
		if pk.Marker {
			out, cur = append(out, cur), nil
		}
	}
	return out
}
