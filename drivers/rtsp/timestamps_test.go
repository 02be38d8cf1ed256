package rtsp_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gridwatch/gridwatch/drivers/rtsp"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// fixedAddr is a listener address that never moves.
type fixedAddr struct{ a net.Addr }

func (f fixedAddr) Addr() net.Addr { return f.a }

// pullInto serves the test clip from a private RTSP server and pulls it
// with a puller for device that sends the RTP to sink, until the test
// ends.
func pullInto(t *testing.T, device string, sink net.Addr) {
	t.Helper()
	testsvc.FFmpeg(t)
	srv := testsvc.GstRTSPServer(t, testsvc.RTSPServerOptions{Clip: clip})
	srv.Start()
	p, err := rtsp.New(rtsp.Config{Device: device, URL: srv.URL, Timeout: 3 * time.Second}, fixedAddr{sink}, rtsp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = p.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// pictureEnd is the last packet of one picture (the marker bit): its RTP
// timestamp and when it arrived.
type pictureEnd struct {
	ts uint32
	at time.Time
}

// pictureEnds reads RTP datagrams with read, which returns a datagram's
// size and arrival, until n pictures have ended, in the order they come.
func pictureEnds(t *testing.T, n int, read func(buf []byte) (int, time.Time)) []pictureEnd {
	t.Helper()
	var out []pictureEnd
	buf := make([]byte, 2048)
	for len(out) < n {
		size, at := read(buf)
		var h rtp.Header
		if _, err := h.Unmarshal(buf[:size]); err != nil {
			t.Fatalf("not RTP: %v", err)
		}
		if h.Marker {
			out = append(out, pictureEnd{h.Timestamp, at})
		}
	}
	return out
}

// TestInteropTimestampsFromTheFirstFrame: the RTP ffmpeg sends on carries
// the camera's timing from the first picture: each picture one frame time
// (3600 ticks of 90 kHz at 25 fps) after the one before. ffmpeg gets the
// first picture of an RTSP pull without a timestamp and, re-basing the
// stream at its first known one, once gave the first two pictures the
// same RTP timestamp: the keyframe and the next frame at one instant, and
// a clip of a camera that reconnected had two frames 1 ms apart.
func TestInteropTimestampsFromTheFirstFrame(t *testing.T) {
	sink := udpSink(t)
	pullInto(t, "cam-0008", sink.LocalAddr())

	// The RTP timestamp of each picture, in the order they come: a
	// picture's packets share one, the marker bit ends it.
	const pictures = 30
	_ = sink.SetReadDeadline(time.Now().Add(60 * time.Second))
	ends := pictureEnds(t, pictures, func(buf []byte) (int, time.Time) {
		n, _, err := sink.ReadFrom(buf)
		if err != nil {
			t.Fatalf("before %d pictures: %v", pictures, err)
		}
		return n, time.Time{}
	})
	var ts []uint32
	for _, e := range ends {
		ts = append(ts, e.ts)
	}
	for i := 1; i < len(ts); i++ {
		if d := int32(ts[i] - ts[i-1]); d != 3600 {
			t.Errorf("picture %d is %d ticks after picture %d, want 3600 (40 ms); timestamps %v", i, d, i-1, ts[:i+1])
			break
		}
	}
}
