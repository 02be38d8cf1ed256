package rtpstream_test

import (
	"bytes"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/drivers/h264"
	"github.com/gridwatch/gridwatch/drivers/rtpstream"
	"github.com/gridwatch/gridwatch/internal/testlog"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// pictures is a VideoSink that keeps a copy of every picture: what the
// camera's recorder would put in its ring.
type pictures struct {
	mu  sync.Mutex
	aus []h264.AccessUnit
}

func (p *pictures) AccessUnit(au h264.AccessUnit, _ time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	au.Data = bytes.Clone(au.Data)
	p.aus = append(p.aus, au)
}

func (p *pictures) Codec(string) {}

func (p *pictures) all() []h264.AccessUnit {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]h264.AccessUnit(nil), p.aus...)
}

// fakeClock is the listener's injected clock, moved by the test.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// slow is a listener config that never judges nor logs twice while a
// test runs: one check interval lasts an hour.
func slow(device string) rtpstream.Config {
	return rtpstream.Config{Device: device, Listen: "127.0.0.1:0", Check: time.Hour, TelemetryEvery: time.Hour,
		Thresholds: rtpstream.Thresholds{Window: time.Hour, Silence: time.Hour}}
}

// slice is one picture in one RTP packet: a non-IDR slice whose bytes
// are all fill, so the picture tells who sent it.
func slice(t *testing.T, ssrc uint32, seq uint16, fill byte) []byte {
	t.Helper()
	return rtpRaw(t, ssrc, seq, append([]byte{0x41}, bytes.Repeat([]byte{fill}, 100)...))
}

func dial(t *testing.T, addr net.Addr) net.Conn {
	t.Helper()
	c, err := net.Dial("udp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestTakeoverIsRefused: while the camera streams, a second sender on
// its port — from another port with the camera's own SSRC (and the very
// sequence numbers the camera is about to send), from another port with
// its own SSRC, or from the camera's address with another SSRC — gets
// none of its pictures to the recorder, is counted and logged once, and
// the camera's stream flows on whole. Once the camera has been silent for
// longer than the hold, a new source may take the port over (a rebooted
// camera).
func TestTakeoverIsRefused(t *testing.T) {
	const camSSRC, n = 0xca11, 40
	for _, c := range []struct {
		name     string
		ssrc     uint32
		samePort bool
	}{
		{"another port, the camera's SSRC", camSSRC, false},
		{"another port, another SSRC", 0xbad, false},
		{"the camera's port, another SSRC", 0xbad, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			reg := prometheus.NewPedanticRegistry()
			clock := &fakeClock{now: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
			logs := &testlog.Buffer{}
			pics := &pictures{}
			l, err := rtpstream.New(slow("cam-0007"), &recorder{}, rtpstream.Options{Registerer: reg, Video: pics,
				Now: clock.Now, Logger: slog.New(slog.NewTextHandler(logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			run(t, l)
			cam := dial(t, l.Addr())
			intruder := cam
			if !c.samePort {
				intruder = dial(t, l.Addr())
			}
			send(t, cam, slice(t, camSSRC, 1000, 'C')) // the camera is first
			testsvc.Eventually(t, 10*time.Second, "the camera's first packet", func() bool { return l.Status().Received == 1 })
			for i := range uint16(n) {
				clock.add(40 * time.Millisecond)
				seq := 1001 + i
				send(t, intruder, slice(t, c.ssrc, seq, 'X')) // ahead of the camera's own packet
				send(t, cam, slice(t, camSSRC, seq, 'C'))
				testsvc.Eventually(t, 10*time.Second, "both packets filed", func() bool {
					st := l.Status()
					return st.Received+st.Duplicates+st.Foreign+st.Jumps >= 3+2*int64(i) // the first packet, then two a round
				})
			}
			st := l.Status()
			if st.Received != n+1 || st.Foreign != n || st.SSRCChanges != 0 || st.SSRC != camSSRC || st.Duplicates != 0 {
				t.Errorf("received %d foreign %d ssrc changes %d ssrc %x duplicates %d, want %d %d 0 %x 0",
					st.Received, st.Foreign, st.SSRCChanges, st.SSRC, st.Duplicates, n+1, n, camSSRC)
			}
			aus := pics.all()
			for _, au := range aus {
				if au.SSRC != camSSRC || bytes.IndexByte(au.Data, 'X') >= 0 {
					t.Fatalf("the intruder's picture (ssrc %x) reached the recorder", au.SSRC)
				}
			}
			if len(aus) != n+1 {
				t.Errorf("%d of the camera's %d pictures reached the recorder", len(aus), n+1)
			}
			if err := testutil.GatherAndCompare(reg, bytes.NewBufferString(`
# HELP gridwatch_rtp_foreign_packets_total RTP packets dropped because another source (address or SSRC) sent them while the camera's current one streamed.
# TYPE gridwatch_rtp_foreign_packets_total counter
gridwatch_rtp_foreign_packets_total{device="cam-0007"} 40
`), "gridwatch_rtp_foreign_packets_total"); err != nil {
				t.Error(err)
			}
			if got := logs.Lines("foreign source"); len(got) != 1 {
				t.Errorf("%d log lines of the foreign source in one check interval, want 1:\n%s", len(got), logs)
			}

			// The camera falls silent (a reboot) for longer than the hold:
			// the next source takes the port.
			clock.add(3 * time.Second)
			const next = 0x5eed
			for i := range uint16(5) {
				send(t, intruder, slice(t, next, 7000+i, 'N'))
			}
			testsvc.Eventually(t, 10*time.Second, "the new source's pictures", func() bool { return len(pics.all()) == n+6 })
			if st := l.Status(); st.SSRC != next || st.SSRCChanges != 1 || st.Foreign != n {
				t.Errorf("after the silence: ssrc %x changes %d foreign %d, want %x 1 %d", st.SSRC, st.SSRCChanges, st.Foreign, next, n)
			}
			if got := logs.Lines("rtp source changed"); len(got) != 1 {
				t.Errorf("%d log lines of the new source, want 1:\n%s", len(got), logs)
			}
		})
	}
}

// rtpRaw builds an RTP datagram of ssrc and seq around payload as given
// (no padding unless the test sets the bit itself).
func rtpRaw(t *testing.T, ssrc uint32, seq uint16, payload []byte) []byte {
	t.Helper()
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq,
		Timestamp: uint32(seq) * 3600, SSRC: ssrc, Marker: true}, Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// camPort is a camera's running listener whose pictures go to the
// returned sink, and the camera's socket sending to it.
func camPort(t *testing.T) (*rtpstream.Listener, *pictures, net.Conn) {
	t.Helper()
	pics := &pictures{}
	l, err := rtpstream.New(slow("cam-0008"), &recorder{}, rtpstream.Options{Video: pics})
	if err != nil {
		t.Fatal(err)
	}
	run(t, l)
	return l, pics, dial(t, l.Addr())
}

// TestHostileDatagrams sends what is not a camera's video to a
// streaming camera's port over a real socket: each datagram is counted
// under its reason, and the camera's next picture still reaches the
// recorder whole.
func TestHostileDatagrams(t *testing.T) {
	const ssrc = 0xca11
	padded := func(seq uint16, pad byte) []byte {
		b := rtpRaw(t, ssrc, seq, append([]byte{0x41}, make([]byte, 40)...))
		b[0] |= 0x20 // the padding bit, with the last byte as the count
		b[len(b)-1] = pad
		return b
	}
	version := func(seq uint16, v byte) []byte {
		b := rtpRaw(t, ssrc, seq, []byte{0x41, 1, 2, 3})
		b[0] = b[0]&0x3f | v<<6
		return b
	}
	for _, c := range []struct {
		name      string
		datagram  func(seq uint16) []byte
		malformed string // reason of gridwatch_rtp_malformed_total, or
		reject    string // of gridwatch_rtp_depacketize_rejects_total, or
		picture   int    // the size of the picture it is, if whole
	}{
		{name: "text", datagram: func(uint16) []byte { return []byte("GET /stream HTTP/1.1\r\nHost: cam\r\n\r\n") }, malformed: rtpstream.MalformedVersion},
		{name: "RTP version 0", datagram: func(seq uint16) []byte { return version(seq, 0) }, malformed: rtpstream.MalformedVersion},
		{name: "RTP version 1", datagram: func(seq uint16) []byte { return version(seq, 1) }, malformed: rtpstream.MalformedVersion},
		{name: "padding count 0", datagram: func(seq uint16) []byte { return padded(seq, 0) }, malformed: rtpstream.MalformedPadding},
		{name: "padding past the packet", datagram: func(seq uint16) []byte { return padded(seq, 255) }, malformed: rtpstream.MalformedPadding},
		{name: "a STAP-A unit claimed longer than it is", datagram: func(seq uint16) []byte {
			return rtpRaw(t, ssrc, seq, []byte{0x78, 0xff, 0xff, 0x41, 1, 2, 3})
		}, reject: h264.RejectSTAPA},
		{name: "65,000 bytes of noise", datagram: func(seq uint16) []byte {
			return rtpRaw(t, ssrc, seq, bytes.Repeat([]byte{0xff}, 65000-12))
		}, reject: h264.RejectNALType},
		{name: "a 65,000-byte picture", datagram: func(seq uint16) []byte {
			return rtpRaw(t, ssrc, seq, append([]byte{0x41}, bytes.Repeat([]byte{'P'}, 65000-13)...))
		}, picture: 4 + 65000 - 12},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, pics, cam := camPort(t)
			send(t, cam, slice(t, ssrc, 1, 'C'))
			testsvc.Eventually(t, 10*time.Second, "the camera's first picture", func() bool { return len(pics.all()) == 1 })
			send(t, cam, c.datagram(2))
			next := uint16(3)
			if c.malformed != "" { // not RTP to the listener: it takes no sequence number
				next = 2
			}
			send(t, cam, slice(t, ssrc, next, 'C'))
			want := 2
			if c.picture > 0 {
				want = 3
			}
			testsvc.Eventually(t, 10*time.Second, "the camera's next picture", func() bool { return len(pics.all()) == want })
			st := l.Status()
			if c.malformed != "" && (st.Malformed[c.malformed] != 1 || st.MalformedTotal() != 1) {
				t.Errorf("malformed %v, want one %s", st.Malformed, c.malformed)
			}
			if c.reject != "" && (st.Video.Rejects[c.reject] != 1 || st.Video.DroppedUnits != 1 || st.MalformedTotal() != 0) {
				t.Errorf("rejects %v dropped %d malformed %v, want one %s", st.Video.Rejects, st.Video.DroppedUnits, st.Malformed, c.reject)
			}
			aus := pics.all()
			if c.picture > 0 && len(aus[1].Data) != c.picture {
				t.Errorf("the big picture is %d bytes, want %d", len(aus[1].Data), c.picture)
			}
			if last := aus[len(aus)-1]; !bytes.Equal(last.Data, append([]byte{0, 0, 0, 1, 0x41}, bytes.Repeat([]byte{'C'}, 100)...)) {
				t.Errorf("the camera's picture after the noise is %d bytes, not its own", len(last.Data))
			}
			if st.Lost != 0 || st.SSRCChanges != 0 {
				t.Errorf("lost %d ssrc changes %d, want none", st.Lost, st.SSRCChanges)
			}
		})
	}
}

// TestEndlessFragmentOverUDP: a camera's port gets one FU-A fragmented
// NAL unit that never ends (6 MB in 60 KB datagrams, one timestamp, no
// end bit): the picture is cut at the depacketiser's 4 MiB bound and
// counted once, and the next picture comes through.
func TestEndlessFragmentOverUDP(t *testing.T) {
	const ssrc, frags = 0xca11, 100
	l, pics, cam := camPort(t)
	frag := make([]byte, 2+60000)
	frag[0], frag[1] = 0x7c, 0x85 // FU-A, start, IDR
	for i := range uint16(frags) {
		b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 500 + i,
			Timestamp: 9000, SSRC: ssrc}, Payload: frag}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		send(t, cam, b)
		frag[1] = 0x05 // continuations from now on
		// One at a time, so the kernel's socket buffer drops none.
		testsvc.Eventually(t, 10*time.Second, "the fragment filed", func() bool { return l.Status().Received == int64(i)+1 })
	}
	send(t, cam, rtpRaw(t, ssrc, 500+frags, append([]byte{0x41}, bytes.Repeat([]byte{'C'}, 100)...)))
	testsvc.Eventually(t, 10*time.Second, "the next picture", func() bool { return len(pics.all()) == 1 })
	st := l.Status()
	if st.Video.Rejects[h264.RejectOversize] != 1 || st.Video.DroppedUnits != 1 || st.Lost != 0 {
		t.Errorf("oversize rejects %d dropped %d lost %d, want 1 1 0", st.Video.Rejects[h264.RejectOversize], st.Video.DroppedUnits, st.Lost)
	}
	if n := len(pics.all()[0].Data); n != 4+101 {
		t.Errorf("the picture after the endless one is %d bytes, want %d", n, 4+101)
	}
}
