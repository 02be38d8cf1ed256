package rtpstream

import (
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// t0 is the fake clock's origin; tests move time by adding to it.
var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

var from = netip.MustParseAddrPort("127.0.0.1:40000")

// pkt builds one RTP datagram.
func pkt(t testing.TB, ssrc uint32, seq uint16, ts uint32, marker bool, payload int) []byte {
	t.Helper()
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: ts,
		SSRC: ssrc, Marker: marker}, Payload: make([]byte, payload)}
	b, err := p.Marshal()
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

// testConfig is a camera config with the defaults, fast to judge.
func testConfig() Config {
	return Config{Device: "cam-0001", Listen: "127.0.0.1:0"}.withDefaults()
}

// feeder sends a synthetic 25 fps stream into a monitor on a fake clock:
// each frame is perFrame packets (the last with the marker bit), 3600
// timestamp units apart at 90 kHz, arriving 40 ms apart (gap; a longer
// gap with the matching timestamp step is a slower camera). drop says
// which sequence numbers are lost on the way.
type feeder struct {
	t        testing.TB
	m        *monitor
	ssrc     uint32
	seq      uint16
	ts       uint32
	now      time.Time
	perFrame int
	gap      time.Duration // between frames; 40 ms
	drop     func(n int) bool
	sent     int
	verdicts []verdict
	nextTick time.Time
}

func newFeeder(t testing.TB, m *monitor) *feeder {
	return &feeder{t: t, m: m, ssrc: 0x1234abcd, seq: 100, ts: 9000, now: t0, perFrame: 4, gap: 40 * time.Millisecond, nextTick: t0.Add(m.cfg.Check)}
}

// run sends frames for d of fake time, ticking the monitor every Check,
// and collects its verdicts.
func (f *feeder) run(d time.Duration) {
	end := f.now.Add(d)
	for f.now.Before(end) {
		for i := 0; i < f.perFrame; i++ {
			n := f.sent
			f.sent++
			b := pkt(f.t, f.ssrc, f.seq, f.ts, i == f.perFrame-1, 1000)
			f.seq++
			if f.drop != nil && f.drop(n) {
				continue
			}
			f.m.datagram(b, f.now.Add(time.Duration(i)*time.Millisecond), from)
		}
		f.ts += uint32(f.gap * 90000 / time.Second)
		f.advance(f.gap)
	}
}

// idle lets d of fake time pass with no packets, ticking.
func (f *feeder) idle(d time.Duration) { f.advance(d) }

func (f *feeder) advance(d time.Duration) {
	end := f.now.Add(d)
	for !f.nextTick.After(end) {
		f.verdicts = append(f.verdicts, f.m.tick(f.nextTick)...)
		f.nextTick = f.nextTick.Add(f.m.cfg.Check)
	}
	f.now = end
}

// types lists the verdicts' event types (and reasons) in order.
func (f *feeder) types() []string {
	var out []string
	for _, v := range f.verdicts {
		s := v.typ
		if v.reason != "" {
			s += ":" + v.reason
		}
		out = append(out, s)
	}
	f.verdicts = nil
	return out
}

type nopSink struct{}

func (nopSink) Event(event.Event)         {}
func (nopSink) Telemetry(event.Telemetry) {}
func (nopSink) Alive(string, time.Time)   {}
