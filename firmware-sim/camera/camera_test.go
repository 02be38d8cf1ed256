package camera_test

import (
	"context"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/rtpstream"
	"github.com/gridwatch/gridwatch/firmware-sim/camera"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

type nop struct{}

func (nop) Event(event.Event)         {}
func (nop) Telemetry(event.Telemetry) {}
func (nop) Alive(string, time.Time)   {}

// TestLossIsWhatTheGatewaySees sends 3 s with 5 % loss into the
// gateway's own RTP listener: the listener counts every packet the
// simulator did not drop, and the loss it sees is the simulator's.
func TestLossIsWhatTheGatewaySees(t *testing.T) {
	l, err := rtpstream.New(rtpstream.Config{Device: "cam-0001", Listen: "127.0.0.1:0"}, nop{}, rtpstream.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	defer func() { cancel(); <-done }()
	select {
	case <-l.Ready():
	case <-time.After(20 * time.Second):
		t.Fatal("listener not bound")
	}
	st, err := camera.Run(context.Background(), camera.Config{To: l.Addr().String(), Loss: 0.05, StopAfter: 3 * time.Second, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if st.Frames != 75 || st.Dropped == 0 {
		t.Fatalf("sent %+v, want 75 frames with some dropped", st)
	}
	testsvc.Eventually(t, 10*time.Second, "every packet sent is received", func() bool {
		return l.Status().Received == int64(st.Packets-st.Dropped)
	})
	got := l.Status()
	// A drop at the very end cannot be seen (no later packet shows the gap).
	if got.Lost > int64(st.Dropped) || got.Lost < int64(st.Dropped)-3 {
		t.Errorf("listener lost %d, simulator dropped %d", got.Lost, st.Dropped)
	}
	if got.Frames < 70 || got.SSRC != st.SSRC {
		t.Errorf("frames %d ssrc %08x, want ≈75 and %08x", got.Frames, got.SSRC, st.SSRC)
	}
}
