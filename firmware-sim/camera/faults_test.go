package camera_test

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/firmware-sim/camera"
)

// TestOutage: 2 s with a 500 ms outage every second: one outage (at
// 1.0–1.5 s), nothing sent in it, everything else arrives.
func TestOutage(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	got := make(chan int, 1)
	go func() {
		n := 0
		buf := make([]byte, 2048)
		for {
			_ = pc.SetReadDeadline(time.Now().Add(3 * time.Second))
			if _, _, err := pc.ReadFrom(buf); err != nil {
				got <- n
				return
			}
			n++
		}
	}()
	st, err := camera.Run(context.Background(), camera.Config{To: pc.LocalAddr().String(), StopAfter: 2 * time.Second,
		Outage: 500 * time.Millisecond, OutageEvery: time.Second, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if st.Frames != 50 || st.Outaged == 0 || st.Outaged >= st.Packets/2 {
		t.Fatalf("stats %+v: want 50 frames, about a quarter of the packets in the outage", st)
	}
	if n := <-got; n != st.Packets-st.Outaged {
		t.Errorf("received %d packets, want %d (made) − %d (outage)", n, st.Packets, st.Outaged)
	}
}

func TestConfigRefused(t *testing.T) {
	for name, cfg := range map[string]camera.Config{
		"fps":             {To: "127.0.0.1:9", FPS: 500},
		"loss":            {To: "127.0.0.1:9", Loss: 1.5},
		"reorder":         {To: "127.0.0.1:9", Reorder: -0.1},
		"outage alone":    {To: "127.0.0.1:9", Outage: time.Second},
		"outage too long": {To: "127.0.0.1:9", Outage: time.Minute, OutageEvery: time.Second},
		"bitrate too low": {To: "127.0.0.1:9", BitrateBPS: 100_000},
	} {
		if _, err := camera.Run(context.Background(), cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPorts(t *testing.T) {
	got, err := camera.Ports("10.0.0.2:5004", 3)
	if want := []string{"10.0.0.2:5004", "10.0.0.2:5005", "10.0.0.2:5006"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Ports = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []struct {
		to string
		n  int
	}{{"10.0.0.2", 1}, {"10.0.0.2:65535", 2}, {"10.0.0.2:5004", 0}} {
		if _, err := camera.Ports(bad.to, bad.n); err == nil {
			t.Errorf("Ports(%q, %d) accepted", bad.to, bad.n)
		}
	}
}
