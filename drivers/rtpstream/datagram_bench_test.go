package rtpstream

import (
	"testing"
)

// BenchmarkDatagram is the per-packet path as Run calls it (lock, parse
// with pion/rtp, statistics, unlock), on a 1200-byte H.264-sized packet,
// without the socket read.
func BenchmarkDatagram(b *testing.B) {
	l, err := New(Config{Device: "cam-0001", Listen: "127.0.0.1:0"}, nopSink{}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	const n = 1 << 12
	pkts := make([][]byte, n)
	for i := range pkts {
		pkts[i] = pkt(b, 1, uint16(i), uint32(i/4)*3600, i%4 == 3, 1188)
	}
	b.SetBytes(int64(len(pkts[0])))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := pkts[i%n]
		// keep the sequence advancing past the prebuilt range
		p[2], p[3] = byte(i>>8), byte(i)
		l.datagram(p, from)
		i++
	}
	if st := l.Status(); st.Lost != 0 || st.Received == 0 {
		b.Fatalf("lost %d received %d", st.Lost, st.Received)
	}
}
