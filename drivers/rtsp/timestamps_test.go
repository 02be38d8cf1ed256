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

// TestInteropTimestampsFromTheFirstFrame: the RTP ffmpeg sends on carries
// the camera's timing from the first picture: each picture one frame time
// (3600 ticks of 90 kHz at 25 fps) after the one before. ffmpeg gets the
// first picture of an RTSP pull without a timestamp and, re-basing the
// stream at its first known one, once gave the first two pictures the
// same RTP timestamp: the keyframe and the next frame at one instant, and
// a clip of a camera that reconnected had two frames 1 ms apart.
func TestInteropTimestampsFromTheFirstFrame(t *testing.T) {
	testsvc.FFmpeg(t)
	srv := testsvc.GstRTSPServer(t, testsvc.RTSPServerOptions{Clip: clip})
	srv.Start()
	sink := udpSink(t)
	p, err := rtsp.New(rtsp.Config{Device: "cam-0008", URL: srv.URL, Timeout: 3 * time.Second}, fixedAddr{sink.LocalAddr()}, rtsp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = p.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()

	// The RTP timestamp of each picture, in the order they come: a
	// picture's packets share one, the marker bit ends it.
	const pictures = 30
	var ts []uint32
	buf := make([]byte, 2048)
	deadline := time.Now().Add(60 * time.Second)
	for len(ts) < pictures {
		_ = sink.SetReadDeadline(deadline)
		n, _, err := sink.ReadFrom(buf)
		if err != nil {
			t.Fatalf("after %d pictures: %v", len(ts), err)
		}
		var h rtp.Header
		if _, err := h.Unmarshal(buf[:n]); err != nil {
			t.Fatalf("not RTP: %v", err)
		}
		if h.Marker {
			ts = append(ts, h.Timestamp)
		}
	}
	for i := 1; i < len(ts); i++ {
		if d := int32(ts[i] - ts[i-1]); d != 3600 {
			t.Errorf("picture %d is %d ticks after picture %d, want 3600 (40 ms); timestamps %v", i, d, i-1, ts[:i+1])
			break
		}
	}
}
