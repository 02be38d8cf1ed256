package rtpstream

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"github.com/gridwatch/gridwatch/drivers/h264"
	"github.com/gridwatch/gridwatch/drivers/videorec"
)

// Bench stream: 2 Mbit/s of H.264 at 25 fps with a keyframe a second —
// a 50 kB IDR and 24 P pictures of 8.3 kB, 250 kB a second — packetised
// by pion's payloader at 1200 bytes (about 215 packets a second).
const (
	benchFPS  = 25
	benchIDR  = 50_000
	benchP    = 8_333
	benchSecs = 30
)

// benchGOP is one second of the bench stream as marshalled RTP packets;
// camera patches sequence numbers, timestamps and SSRC in place.
func benchGOP(tb testing.TB) (pkts [][]byte, frameOf []int) {
	nal := func(t byte, n int) []byte {
		b := make([]byte, n)
		b[0] = 0x60 | t
		for i := 1; i < n; i++ {
			b[i] = byte(i*7) | 1
		}
		return b
	}
	var pay codecs.H264Payloader
	for f := range benchFPS {
		var au []byte
		if f == 0 {
			for _, n := range [][]byte{nal(h264.NALSPS, 12), nal(h264.NALPPS, 4), nal(h264.NALIDR, benchIDR)} {
				au = append(append(au, 0, 0, 0, 1), n...)
			}
		} else {
			au = append([]byte{0, 0, 0, 1}, nal(h264.NALSlice, benchP)...)
		}
		pls := pay.Payload(1200, au)
		for i, pl := range pls {
			p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, Marker: i == len(pls)-1}, Payload: pl}
			b, err := p.Marshal()
			if err != nil {
				tb.Fatal(err)
			}
			pkts, frameOf = append(pkts, b), append(frameOf, f)
		}
	}
	return pkts, frameOf
}

// benchCamera is one camera's listener (without its socket) and recorder
// on a fake clock.
type benchCamera struct {
	l    *Listener
	rec  *videorec.Recorder
	now  time.Time
	seq  uint16
	ts   uint32
	ssrc uint32
}

func newBenchCamera(tb testing.TB, i int) *benchCamera {
	c := &benchCamera{now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), ssrc: uint32(0x1000 + i)}
	var err error
	dev := fmt.Sprintf("cam-%04d", i)
	if c.rec, err = videorec.New(videorec.Config{Device: dev}, videorec.Options{}); err != nil {
		tb.Fatal(err)
	}
	if c.l, err = New(Config{Device: dev, Listen: "127.0.0.1:0"}, nopSink{},
		Options{Video: c.rec, Now: func() time.Time { return c.now }}); err != nil {
		tb.Fatal(err)
	}
	return c
}

// second sends one second of the stream.
func (c *benchCamera) second(pkts [][]byte, frameOf []int) {
	start := c.now
	for i, p := range pkts {
		c.now = start.Add(time.Duration(frameOf[i]) * time.Second / benchFPS)
		p[2], p[3] = byte(c.seq>>8), byte(c.seq)
		ts := c.ts + uint32(frameOf[i])*90000/benchFPS
		p[4], p[5], p[6], p[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
		p[8], p[9], p[10], p[11] = byte(c.ssrc>>24), byte(c.ssrc>>16), byte(c.ssrc>>8), byte(c.ssrc)
		c.l.datagram(p, from)
		c.seq++
	}
	c.ts += 90000
	c.now = start.Add(time.Second)
}

// BenchmarkPacketH264 is one camera's packet path as Run calls it —
// RTP statistics, H.264 depacketising and the recorder's ring — per
// packet of the 2 Mbit/s bench stream, once the ring is full (30 s).
// allocs/op is the allocations per packet in the steady state.
func BenchmarkPacketH264(b *testing.B) {
	pkts, frameOf := benchGOP(b)
	c := newBenchCamera(b, 1)
	for range benchSecs + 2 {
		c.second(pkts, frameOf)
	}
	b.SetBytes(int64(len(pkts[0])))
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		if n%len(pkts) == 0 && n > 0 {
			c.ts += 90000
		}
		i := n % len(pkts)
		p := pkts[i]
		c.now = c.now.Add(time.Second / time.Duration(len(pkts)))
		p[2], p[3] = byte(c.seq>>8), byte(c.seq)
		ts := c.ts + uint32(frameOf[i])*90000/benchFPS
		p[4], p[5], p[6], p[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
		c.l.datagram(p, from)
		c.seq++
		n++
	}
	st := c.l.Status()
	if st.Lost != 0 || st.Video.DroppedUnits != 0 || st.Video.Keyframes == 0 {
		b.Fatalf("status %+v", st)
	}
}

// BenchmarkCameras32 feeds 32 cameras' 2 Mbit/s streams, 30 s at a time
// (one op), through their listeners and 30 s rings in one goroutine. It
// reports CPU as a share of one core at real time (op time / 30 s) and,
// after a GC, the heap and the rings' arenas.
func BenchmarkCameras32(b *testing.B) {
	pkts, frameOf := benchGOP(b)
	cams := make([]*benchCamera, 32)
	for i := range cams {
		cams[i] = newBenchCamera(b, i)
	}
	feed := func() {
		for range benchSecs {
			for _, c := range cams {
				c.second(pkts, frameOf)
			}
		}
	}
	feed() // fill the rings
	b.ResetTimer()
	ops := 0
	for b.Loop() {
		feed()
		ops++
	}
	elapsed := b.Elapsed()
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	arena, kept := 0, 0
	for _, c := range cams {
		st := c.rec.Status()
		arena += st.Capacity
		kept += st.Bytes
		if st.Span < benchSecs*time.Second {
			b.Fatalf("%s ring holds %v", c.rec.Device(), st.Span)
		}
	}
	b.ReportMetric(100*elapsed.Seconds()/float64(ops)/benchSecs, "%core")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
	b.ReportMetric(rssMiB(), "rss-MiB")
	b.ReportMetric(float64(arena)/(1<<20), "arena-MiB")
	b.ReportMetric(float64(kept)/(1<<20), "video-MiB")
	b.ReportMetric(float64(len(pkts)*32), "pkts/s")
}
