package rtpstream

import (
	"net/netip"
	"testing"
	"time"
)

// TestSourceHold: another source (address or SSRC) is refused while the
// current one has been silent for less than sourceHold, and takes over
// from then on.
func TestSourceHold(t *testing.T) {
	other := netip.MustParseAddrPort("192.0.2.9:40000")
	for _, c := range []struct {
		name   string
		ssrc   uint32
		from   netip.AddrPort
		silent time.Duration
		want   int
	}{
		{"same source at once", 1, from, 0, filedPacket},
		{"another address at once", 1, other, 0, filedForeign},
		{"another SSRC just before the hold", 2, from, sourceHold - time.Millisecond, filedForeign},
		{"another address just before the hold", 1, other, sourceHold - time.Millisecond, filedForeign},
		{"another SSRC after the hold", 2, from, sourceHold, filedTakeover},
		{"another address after the hold", 2, other, sourceHold, filedTakeover},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := newMonitor(testConfig(), t0, nil)
			if got := m.datagram(pkt(t, 1, 10, 0, true, 100), t0, from); got != filedPacket {
				t.Fatalf("first packet filed %d", got)
			}
			if got := m.datagram(pkt(t, c.ssrc, 11, 3600, true, 100), t0.Add(c.silent), c.from); got != c.want {
				t.Errorf("filed %d, want %d", got, c.want)
			}
			st := m.status("cam", t0.Add(c.silent))
			wantForeign, wantSSRC := int64(0), c.ssrc
			if c.want == filedForeign {
				wantForeign, wantSSRC = 1, 1
			}
			if st.Foreign != wantForeign || st.SSRC != wantSSRC {
				t.Errorf("foreign %d ssrc %d, want %d %d", st.Foreign, st.SSRC, wantForeign, wantSSRC)
			}
		})
	}
}
