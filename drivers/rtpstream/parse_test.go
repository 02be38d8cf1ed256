package rtpstream

import (
	"testing"
	"time"
)

func TestMalformedDatagramsAreCountedAndDropped(t *testing.T) {
	good := pkt(t, 5, 1, 0, true, 100)
	v1 := append([]byte(nil), good...)
	v1[0] = 0x40 | v1[0]&0x3f // version 1
	csrc := append([]byte(nil), good[:12]...)
	csrc[0] |= 0x0f // claims 15 CSRCs, has none
	ext := append([]byte(nil), good[:12]...)
	ext[0] |= 0x10 // extension bit, no extension header
	ext = append(ext, 0xbe, 0xde, 0x00)
	pad0 := append([]byte(nil), good...)
	pad0[0] |= 0x20 // padding, last byte 0
	padLong := append([]byte(nil), good...)
	padLong[0] |= 0x20
	padLong[len(padLong)-1] = 250
	rtcp := []byte{0x80, 200, 0, 6, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0}

	cases := []struct {
		name   string
		b      []byte
		reason string // "" for taken
	}{
		{"empty", nil, MalformedShort},
		{"eleven bytes", good[:11], MalformedShort},
		{"version 1", v1, MalformedVersion},
		{"version 0 (STUN-like)", append([]byte{0x00, 0x01}, good[2:]...), MalformedVersion},
		{"CSRC list cut", csrc, MalformedTruncated},
		{"extension cut", ext, MalformedTruncated},
		{"padding 0", pad0, MalformedPadding},
		{"padding past the header", padLong, MalformedPadding},
		{"RTCP sender report", rtcp, ""},
	}
	m := newMonitor(testConfig(), t0, nil)
	m.datagram(good, t0, from)
	for i, c := range cases {
		bad := m.datagram(c.b, t0.Add(time.Duration(i+1)*time.Millisecond), from)
		got := ""
		if bad >= 0 {
			got = malformedReasons[bad]
		}
		if got != c.reason {
			t.Errorf("%s: reason %q, want %q", c.name, got, c.reason)
		}
	}
	// Good packets after the noise are still taken, nothing was lost.
	m.datagram(pkt(t, 5, 2, 3600, true, 100), t0.Add(time.Second), from)
	st := m.status("cam", t0.Add(time.Second))
	want := map[string]int64{MalformedShort: 2, MalformedVersion: 2, MalformedTruncated: 2, MalformedPadding: 2}
	for r, n := range want {
		if st.Malformed[r] != n {
			t.Errorf("malformed[%s] = %d, want %d", r, st.Malformed[r], n)
		}
	}
	if st.RTCP != 1 || st.Received != 2 || st.Expected != 2 || st.Lost != 0 {
		t.Errorf("rtcp %d received %d expected %d lost %d, want 1 2 2 0", st.RTCP, st.Received, st.Expected, st.Lost)
	}
}

func TestPaddedPacketIsTaken(t *testing.T) {
	b := pkt(t, 5, 1, 0, true, 100)
	b[0] |= 0x20
	b[len(b)-1] = 4
	m := newMonitor(testConfig(), t0, nil)
	if bad := m.datagram(b, t0, from); bad >= 0 {
		t.Fatalf("valid padded packet dropped as %s", malformedReasons[bad])
	}
}
