package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestCameraCommandN: -n 2 sends two streams to consecutive ports, with
// padding to -bitrate, and reports each; bad flags are usage errors.
func TestCameraCommandN(t *testing.T) {
	var conns []net.PacketConn
	for len(conns) < 2 {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		if len(conns) == 1 && port != conns[0].LocalAddr().(*net.UDPAddr).Port+1 {
			c.Close()
			c, err = net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", conns[0].LocalAddr().(*net.UDPAddr).Port+1))
			if err != nil { // the next port is taken: start over
				conns[0].Close()
				conns = conns[:0]
				continue
			}
		}
		conns = append(conns, c)
	}
	counts := make(chan int, 2)
	for _, c := range conns {
		defer c.Close()
		go func() {
			n, buf := 0, make([]byte, 2048)
			for {
				_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
				if _, _, err := c.ReadFrom(buf); err != nil {
					counts <- n
					return
				}
				n++
			}
		}()
	}
	var out, errb bytes.Buffer
	code := cmdCamera(context.Background(), []string{"-to", conns[0].LocalAddr().String(), "-n", "2", "-bitrate", "1M",
		"-stop-after", "1s", "-seed", "5"}, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if lines := strings.Count(out.String(), "camera → "); lines != 2 || !strings.Contains(out.String(), "25 frames (1 keyframes)") {
		t.Errorf("output:\n%s\nwant two cameras of 25 frames, one keyframe", out.String())
	}
	for range 2 {
		if n := <-counts; n < 50 {
			t.Errorf("a camera's port got %d packets, want ≥ 50 at 1 Mbit/s for 1 s", n)
		}
	}
	for _, args := range [][]string{{"-bitrate", "fast"}, {"-loss", "x"}, {"-n", "0"}, {"-outage", "1s"}, {"-clip", "/nonexistent"}} {
		var o, e bytes.Buffer
		if code := cmdCamera(context.Background(), append(args, "-stop-after", "1ms"), &o, &e); code == exitOK {
			t.Errorf("%v: exit 0", args)
		}
	}
}
