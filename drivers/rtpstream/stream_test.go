package rtpstream

import (
	"testing"
	"time"
)

// feedSeqs files sequence numbers of one SSRC, 10 ms apart, and returns
// the stream.
func feedSeqs(t *testing.T, seqs ...uint16) *stream {
	t.Helper()
	m := newMonitor(testConfig(), t0, nil)
	for i, s := range seqs {
		m.datagram(pkt(t, 7, s, uint32(s)*3600, false, 100), t0.Add(time.Duration(i)*10*time.Millisecond), from)
	}
	return m.cur
}

func seqRange(from, n int) []uint16 {
	out := make([]uint16, n)
	for i := range out {
		out[i] = uint16(from + i)
	}
	return out
}

func TestSequenceStatistics(t *testing.T) {
	cases := []struct {
		name                                   string
		seqs                                   []uint16
		expected, received, lost, dup, reorder int64
		jumps                                  int64
	}{
		{name: "in order", seqs: seqRange(1, 100), expected: 100, received: 100},
		{name: "two lost", seqs: []uint16{1, 2, 3, 6, 7, 8, 9, 10}, expected: 10, received: 8, lost: 2},
		{name: "wrap at 65535", seqs: append(seqRange(65530, 6), seqRange(0, 6)...), expected: 12, received: 12},
		{name: "loss across the wrap", seqs: []uint16{65532, 65533, 65534, 1, 2}, expected: 7, received: 5, lost: 2},
		{name: "two wraps", seqs: append(append(seqRange(65000, 536), seqRange(0, 65536)...), seqRange(0, 10)...),
			expected: 536 + 65536 + 10, received: 536 + 65536 + 10},
		{name: "duplicate of the newest", seqs: []uint16{1, 2, 2, 3}, expected: 3, received: 3, dup: 1},
		{name: "duplicate of an older one", seqs: []uint16{1, 2, 3, 4, 2}, expected: 4, received: 4, dup: 1},
		{name: "reordered", seqs: []uint16{1, 2, 4, 3, 5}, expected: 5, received: 5, reorder: 1},
		{name: "reordered across the wrap", seqs: []uint16{65534, 65535, 1, 0, 2}, expected: 5, received: 5, reorder: 1},
		{name: "late packet older than the first", seqs: []uint16{2, 1, 3}, expected: 3, received: 3, reorder: 1},
		{name: "late then duplicate", seqs: []uint16{1, 3, 2, 2}, expected: 3, received: 3, reorder: 1, dup: 1},
		{name: "one far jump is dropped", seqs: []uint16{1, 2, 3, 20000, 4}, expected: 4, received: 4, jumps: 1},
		{name: "two far jumps restart the sequence", seqs: []uint16{1, 2, 3, 20000, 20001, 20002},
			expected: 5, received: 5, jumps: 1},
		{name: "a gap under MAX_DROPOUT is loss", seqs: []uint16{1, 2, 2902}, expected: 2902, received: 3, lost: 2899},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := feedSeqs(t, c.seqs...)
			got := [6]int64{s.expected(), s.received, s.lost(), s.duplicates, s.reordered, s.jumps}
			want := [6]int64{c.expected, c.received, c.lost, c.dup, c.reorder, c.jumps}
			if got != want {
				t.Errorf("expected/received/lost/dup/reordered/jumps = %v, want %v", got, want)
			}
		})
	}
}

func TestLateFillsTheGap(t *testing.T) {
	s := feedSeqs(t, 1, 2, 4)
	if s.lost() != 1 {
		t.Fatalf("lost after 1,2,4 = %d, want 1", s.lost())
	}
	m := newMonitor(testConfig(), t0, nil)
	m.cur = s
	m.datagram(pkt(t, 7, 3, 3*3600, false, 100), t0.Add(time.Second), from)
	if s.lost() != 0 || s.reordered != 1 {
		t.Errorf("after late 3: lost %d reordered %d, want 0 and 1", s.lost(), s.reordered)
	}
}

// TestJitterWorkedValue checks RFC 3550 A.8 against a value worked by
// hand. 90 kHz; timestamps 3600 apart (40 ms); arrivals at 0, 50, 80 and
// 120 ms = 0, 4500, 7200, 10800 units. D = 900, −900, 0, so
// J = 900/16 = 56.25; + (900 − 56.25)/16 = 108.984375;
// − 108.984375/16 = 102.1728515625 units = 1.13525390625 ms.
func TestJitterWorkedValue(t *testing.T) {
	for _, base := range []uint32{0, 4294967296 - 5000} { // the second wraps the timestamp
		m := newMonitor(testConfig(), t0, nil)
		arrivals := []time.Duration{0, 50 * time.Millisecond, 80 * time.Millisecond, 120 * time.Millisecond}
		want := []float64{0, 56.25, 108.984375, 102.1728515625}
		for i, a := range arrivals {
			m.datagram(pkt(t, 9, uint16(i), base+uint32(i)*3600, true, 10), t0.Add(a), from)
			if got := m.cur.jitter; got != want[i] {
				t.Errorf("ts base %d: jitter after packet %d = %v units, want %v", base, i, got, want[i])
			}
		}
		if got, want := m.cur.jitterDuration(), 1135253*time.Nanosecond; got < want || got > want+time.Microsecond {
			t.Errorf("jitter = %v, want ≈1.13525 ms", got)
		}
	}
}

func TestJitterZeroForPerfectPacing(t *testing.T) {
	m := newMonitor(testConfig(), t0, nil)
	f := newFeeder(t, m)
	f.perFrame = 1
	f.run(5 * time.Second)
	if m.cur.jitter != 0 {
		t.Errorf("jitter of a perfectly paced stream = %v, want 0", m.cur.jitter)
	}
}

func TestSSRCChangeStartsFresh(t *testing.T) {
	m := newMonitor(testConfig(), t0, nil)
	for i := 0; i < 10; i++ {
		m.datagram(pkt(t, 1, uint16(100+i), uint32(i)*3600, true, 100), t0.Add(time.Duration(i)*40*time.Millisecond), from)
	}
	// The camera reboots (silent for longer than sourceHold): new SSRC,
	// new random numbering and timestamps.
	back := t0.Add(sourceHold + time.Second)
	for i := 0; i < 10; i++ {
		m.datagram(pkt(t, 2, uint16(50000+i), 777+uint32(i)*3600, true, 100), back.Add(time.Duration(i)*40*time.Millisecond), from)
	}
	st := m.status("cam", back.Add(time.Second))
	if st.SSRC != 2 || st.SSRCChanges != 1 {
		t.Errorf("ssrc %d changes %d, want 2 and 1", st.SSRC, st.SSRCChanges)
	}
	if st.Expected != 20 || st.Received != 20 || st.Lost != 0 || st.Jumps != 0 {
		t.Errorf("expected %d received %d lost %d jumps %d, want 20 20 0 0", st.Expected, st.Received, st.Lost, st.Jumps)
	}
	if st.Frames != 20 || st.Bytes != 20*112 {
		t.Errorf("frames %d bytes %d, want 20 and %d", st.Frames, st.Bytes, 20*112)
	}
	if m.cur.jitter != 0 {
		t.Errorf("the new stream's jitter = %v, want 0 (no carry-over from the old timestamps)", m.cur.jitter)
	}
}

func TestFramesFromTimestampsWithoutMarkers(t *testing.T) {
	m := newMonitor(testConfig(), t0, nil)
	for i := 0; i < 30; i++ { // 10 frames of 3 packets, no marker bits
		m.datagram(pkt(t, 3, uint16(i), uint32(i/3)*3600, false, 100), t0.Add(time.Duration(i)*10*time.Millisecond), from)
	}
	if got := m.cur.frames(); got != 9 { // changes between 10 timestamps
		t.Errorf("frames = %d, want 9", got)
	}
}
