package rtsp_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/rtsp"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// target is a listener address that the test moves.
type target struct {
	mu   sync.Mutex
	addr net.Addr
}

func (t *target) Addr() net.Addr  { t.mu.Lock(); defer t.mu.Unlock(); return t.addr }
func (t *target) move(a net.Addr) { t.mu.Lock(); t.addr = a; t.mu.Unlock() }
func udpSink(t *testing.T) net.PacketConn {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// received reports whether c gets a datagram within the wait.
func received(c net.PacketConn, wait time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(wait))
	_, _, err := c.ReadFrom(make([]byte, 2048))
	return err == nil
}

// TestInteropFollowsTheListener: a listener restarted on another port
// ends the running ffmpeg (Run fails, saying why); the next run sends to
// the new port.
func TestInteropFollowsTheListener(t *testing.T) {
	testsvc.FFmpeg(t)
	srv := testsvc.GstRTSPServer(t, testsvc.RTSPServerOptions{Clip: clip})
	srv.Start()
	first, second := udpSink(t), udpSink(t)
	to := &target{addr: first.LocalAddr()}
	p, err := rtsp.New(rtsp.Config{Device: "cam-0007", URL: srv.URL, Timeout: 3 * time.Second}, to, rtsp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := func() <-chan error {
		res := make(chan error, 1)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { res <- p.Run(ctx) })
		t.Cleanup(func() { cancel(); wg.Wait() })
		return res
	}
	done := run()
	if !received(first, 30*time.Second) {
		t.Fatal("nothing arrived at the first port")
	}
	to.move(second.LocalAddr())
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "moved") {
			t.Errorf("Run = %v, want the listener moved", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("ffmpeg kept sending to the old port")
	}
	run()
	if !received(second, 30*time.Second) {
		t.Fatal("nothing arrived at the new port")
	}
}
