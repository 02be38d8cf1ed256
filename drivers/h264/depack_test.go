package h264

import (
	"bytes"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// TestMatchesPion: over single NAL, STAP-A and FU-A packets, every access
// unit is byte for byte what pion's codecs.H264Packet makes of the same
// packets, and keyframes are the units that start with SPS and PPS.
func TestMatchesPion(t *testing.T) {
	pz := &packetizer{ssrc: 7, seq: 65530, ts: 1000} // wraps the sequence
	var pkts []*rtp.Packet
	for range 3 {
		for _, au := range gop(25, 9000, 700) {
			pkts = append(pkts, pz.packets(au)...)
		}
	}
	var c collect
	d := New(Config{}, c.emit)
	feed(d, pkts)
	want := pionUnits(t, pkts)
	if len(c.aus) != len(want) || len(want) != 75 {
		t.Fatalf("units %d, pion %d, want 75", len(c.aus), len(want))
	}
	for i, au := range c.aus {
		if !bytes.Equal(au.Data, want[i]) {
			t.Fatalf("unit %d differs from pion's: %d vs %d bytes", i, len(au.Data), len(want[i]))
		}
		if au.Key != (i%25 == 0) {
			t.Errorf("unit %d key %v", i, au.Key)
		}
	}
	st := d.Stats()
	if st.Codec != CodecH264 || st.Keyframes != 3 || st.Units != 75 || st.Dropped != 0 || !st.HaveSPS || !st.HavePPS {
		t.Errorf("stats %+v", st)
	}
	if st.KeyInterval != time.Second { // 25 frames × 3600 / 90 kHz
		t.Errorf("key interval %v, want 1s", st.KeyInterval)
	}
	for i, n := range st.Rejects {
		if n != 0 {
			t.Errorf("rejects %s: %d", RejectReasons[i], n)
		}
	}
}

// TestLossDropsTheUnit: a lost fragment drops its unit, counted, and the
// next units come whole; a lost marker packet drops the unit it ended.
func TestLossDropsTheUnit(t *testing.T) {
	pz := &packetizer{ssrc: 7}
	var aus [][]*rtp.Packet
	for _, au := range gop(10, 9000, 3000) {
		aus = append(aus, pz.packets(au))
	}
	tests := []struct {
		name      string
		unit, pkt int // the packet lost
		dropped   int
	}{
		{"middle fragment of the IDR", 0, 3, 1},
		{"first packet of a P frame", 4, 0, 1},
		{"marker packet of a P frame", 4, 2, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c collect
			d := New(Config{}, c.emit)
			for i, pk := range aus {
				for j, p := range pk {
					if i == tc.unit && j == tc.pkt {
						continue
					}
					d.Packet(&p.Header, p.Payload)
				}
			}
			st := d.Stats()
			if st.Dropped != int64(tc.dropped) || len(c.aus) != 10-tc.dropped {
				t.Fatalf("dropped %d, units %d; want %d dropped", st.Dropped, len(c.aus), tc.dropped)
			}
			for _, au := range c.aus {
				if au.TS == uint32(tc.unit)*3600 {
					t.Fatalf("damaged unit %d handed on", tc.unit)
				}
			}
			for i, n := range st.Rejects {
				if n != 0 && RejectReasons[i] != RejectFUA {
					t.Errorf("loss counted as reject %s", RejectReasons[i])
				}
			}
		})
	}
}

// TestParameterSetsPrepended: a camera that sends SPS and PPS once (or
// only in a STAP-A before the IDR's timestamp) still gives keyframes a
// decoder can start on; an IDR before any SPS is no keyframe.
func TestParameterSetsPrepended(t *testing.T) {
	var c collect
	d := New(Config{}, c.emit)
	h := func(seq uint16, ts uint32) *rtp.Header {
		return &rtp.Header{Version: 2, SSRC: 1, SequenceNumber: seq, Timestamp: ts, Marker: true}
	}
	idr := nal(NALIDR, 50, 1)
	d.Packet(h(1, 0), idr) // no SPS yet
	sps, pps := nal(NALSPS, 10, 2), nal(NALPPS, 3, 3)
	d.Packet(h(2, 3600), sps)
	d.Packet(h(3, 3600), pps) // units with no slice are dropped
	d.Packet(h(4, 7200), idr)
	if len(c.aus) != 2 {
		t.Fatalf("units %d, want 2", len(c.aus))
	}
	if c.aus[0].Key || d.Stats().NoParams != 1 {
		t.Errorf("IDR without SPS taken as keyframe")
	}
	if !c.aus[1].Key || !bytes.Equal(c.aus[1].Data, annexB(sps, pps, idr)) {
		t.Errorf("keyframe %x", c.aus[1].Data)
	}
}

// TestH265Recognised: pion's H.265 payloader's packets are recognised as
// H.265 and not turned into H.264 units; an H.264 camera restarting as
// H.265 (new SSRC) is noticed too.
func TestH265Recognised(t *testing.T) {
	vps := []byte{0x40, 0x01, 0x0c, 0x01, 0xff, 0xff}
	sps := []byte{0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00}
	pps := []byte{0x44, 0x01, 0xc1, 0x72, 0xb4}
	idr := append([]byte{0x26, 0x01}, bytes.Repeat([]byte{0xaf}, 5000)...)
	trail := append([]byte{0x02, 0x01}, bytes.Repeat([]byte{0x11}, 2500)...)
	var pay codecs.H265Payloader
	var pkts []*rtp.Packet
	seq, ts := uint16(0), uint32(0)
	add := func(au []byte) {
		pls := pay.Payload(1200, au)
		for i, pl := range pls {
			pkts = append(pkts, &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 9, SequenceNumber: seq, Timestamp: ts, Marker: i == len(pls)-1}, Payload: pl})
			seq++
		}
		ts += 3600
	}
	add(annexB(vps, sps, pps, idr))
	for range 10 {
		add(annexB(trail))
	}
	for _, cfg := range []Config{{}, {Codec: CodecH265}} {
		var c collect
		d := New(cfg, c.emit)
		pz := &packetizer{ssrc: 8}
		for _, au := range gop(5, 3000, 500) {
			feed(d, pz.packets(au))
		}
		if d.Codec() != CodecH264 && cfg.Codec == "" {
			t.Fatalf("codec %q before the restart", d.Codec())
		}
		before := len(c.aus)
		feed(d, pkts)
		if d.Codec() != CodecH265 {
			t.Fatalf("codec %q, want h265", d.Codec())
		}
		// At most the units before the vote was decided get through.
		if after := len(c.aus) - before; after > 2 {
			t.Errorf("%d H.265 pictures handed on as H.264", after)
		}
	}
}

// TestRejects: malformed payloads are counted by reason and never panic.
func TestRejects(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		reason  string
	}{
		{"empty", nil, RejectEmpty},
		{"forbidden bit", []byte{0x85, 1, 2}, RejectNALType},
		{"STAP-B", []byte{0x19, 0, 1, 1}, RejectNALType},
		{"STAP-A size past the end", []byte{0x78, 0, 9, 0x67, 1}, RejectSTAPA},
		{"STAP-A empty unit", []byte{0x78, 0, 0}, RejectSTAPA},
		{"STAP-A odd trailing byte", []byte{0x78, 0, 1, 0x67, 5}, RejectSTAPA},
		{"FU-A short", []byte{0x7c, 0x85}, RejectFUA},
		{"FU-A continuation without start", []byte{0x7c, 0x05, 1, 2}, RejectFUA},
		{"FU-A of type 0", []byte{0x7c, 0x80, 1, 2}, RejectNALType},
		{"over the unit bound", append([]byte{0x65}, make([]byte, 200)...), RejectOversize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c collect
			d := New(Config{MaxAccessUnit: 100}, c.emit)
			d.Packet(&rtp.Header{SSRC: 1, Marker: true}, tc.payload)
			st := d.Stats()
			for i, n := range st.Rejects {
				want := int64(0)
				if RejectReasons[i] == tc.reason {
					want = 1
				}
				if n != want {
					t.Errorf("rejects %s = %d, want %d", RejectReasons[i], n, want)
				}
			}
			if len(c.aus) != 0 || st.Dropped != 1 {
				t.Errorf("units %d dropped %d", len(c.aus), st.Dropped)
			}
		})
	}
}

// TestSteadyStateAllocatesNothing: once its buffers have grown, a packet
// costs no allocation (pion's depacketizer, for comparison, allocates
// several times per NAL unit).
func TestSteadyStateAllocatesNothing(t *testing.T) {
	pz := &packetizer{ssrc: 7}
	var pkts []*rtp.Packet
	for _, au := range gop(25, 60000, 8000) {
		pkts = append(pkts, pz.packets(au)...)
	}
	n := 0
	d := New(Config{}, func(AccessUnit) { n++ })
	i := 0
	next := func() {
		p := pkts[i%len(pkts)]
		h := p.Header
		h.SequenceNumber = uint16(i)
		h.Timestamp = p.Timestamp + uint32(i/len(pkts))*90000
		d.Packet(&h, p.Payload)
		i++
	}
	for range len(pkts) {
		next()
	}
	if a := testing.AllocsPerRun(5*len(pkts), next); a != 0 {
		t.Fatalf("%.2f allocations per packet, want 0", a)
	}
	if n == 0 || d.Stats().Dropped != 0 {
		t.Fatalf("units %d, %+v", n, d.Stats())
	}
}

// TestEndlessFUAIsCapped: a fragmented NAL unit that never ends (no end
// bit, no marker, one timestamp) is cut at MaxAccessUnit, counted once as
// oversize, and costs no more memory however long it goes on; the next
// picture comes through whole.
func TestEndlessFUAIsCapped(t *testing.T) {
	var c collect
	d := New(Config{}, c.emit) // the default bound, 4 MiB
	const frag = 60000
	fu := func(start bool) []byte {
		p := make([]byte, 2+frag)
		p[0], p[1] = 0x7c, NALIDR
		if start {
			p[1] |= 0x80
		}
		return p
	}
	seq := uint16(0)
	send := func(ts uint32, marker bool, payload []byte) {
		d.Packet(&rtp.Header{SSRC: 1, SequenceNumber: seq, Timestamp: ts, Marker: marker}, payload)
		seq++
	}
	send(1000, false, fu(true))
	cont := fu(false)
	for range 1000 { // 60 MB
		send(1000, false, cont)
	}
	if a := testing.AllocsPerRun(100, func() { send(1000, false, cont) }); a != 0 {
		t.Errorf("%.2f allocations per fragment past the bound, want 0", a)
	}
	if got, limit := cap(d.buf), 4<<20+frag+8; got > limit {
		t.Errorf("buffer capacity %d after 60 MB of one NAL unit, want at most %d", got, limit)
	}
	st := d.Stats()
	if st.Rejects[rejOversize] != 1 || len(c.aus) != 0 {
		t.Errorf("oversize rejects %d, units %d: want 1, 0", st.Rejects[rejOversize], len(c.aus))
	}
	send(4600, true, nal(NALSlice, 500, 1)) // the next picture
	if st := d.Stats(); len(c.aus) != 1 || st.Dropped != 1 {
		t.Errorf("units %d dropped %d after the endless unit, want 1 and 1", len(c.aus), st.Dropped)
	}
}
