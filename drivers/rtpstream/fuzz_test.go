package rtpstream

import (
	"testing"
	"time"
)

// FuzzDatagrams feeds a run of datagrams (each prefixed with a one-byte
// length) through the packet path and checks that it never panics and
// that the counters stay consistent.
func FuzzDatagrams(f *testing.F) {
	var seed []byte
	for i := 0; i < 6; i++ {
		b := pkt(f, 1, uint16(65533+i), uint32(i)*3600, i%2 == 0, 20)
		seed = append(append(seed, byte(len(b))), b...)
	}
	f.Add(seed)
	f.Add([]byte{12, 0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{16, 0x90, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 9})
	f.Add([]byte{3, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		m := newMonitor(testConfig(), t0, nil)
		now := t0
		for len(in) > 0 {
			n := int(in[0])
			in = in[1:]
			if n > len(in) {
				n = len(in)
			}
			m.datagram(in[:n], now, from)
			in = in[n:]
			now = now.Add(time.Duration(n) * time.Millisecond) // 0–255 ms apart
			m.tick(now)
		}
		st := m.status("cam", now)
		if st.Received > st.Expected {
			t.Fatalf("received %d > expected %d", st.Received, st.Expected)
		}
		if st.Lost < 0 || st.LossPct < 0 || st.LossPct > 100 || st.Jitter < 0 {
			t.Fatalf("lost %d loss %.2f %% jitter %v", st.Lost, st.LossPct, st.Jitter)
		}
		_ = m.telemetry("cam", now)
	})
}
