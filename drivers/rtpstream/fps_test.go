package rtpstream

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMinFPS feeds the same 10 fps stream to a camera at the default
// thresholds (frame rate not judged) and to one with min_fps 20: only the
// second degrades, with reason low_fps, and only once a whole window of
// the stream was seen; at 25 fps again it is restored after the hold.
func TestMinFPS(t *testing.T) {
	strict := testConfig()
	strict.Thresholds.MinFPS = 20
	if err := strict.Validate(); err != nil {
		t.Fatal(err)
	}
	def := newFeeder(t, newMonitor(testConfig(), t0, nil))
	str := newFeeder(t, newMonitor(strict, t0, nil))
	for _, f := range []*feeder{def, str} {
		f.gap = 100 * time.Millisecond // 10 fps
	}

	def.run(9 * time.Second)
	str.run(9 * time.Second)
	if got := str.types(); len(got) != 0 {
		t.Fatalf("judged the frame rate before a whole window: %v", got)
	}
	def.run(21 * time.Second)
	str.run(21 * time.Second)
	if got := def.types(); len(got) != 0 {
		t.Errorf("default thresholds at 10 fps: %v, want nothing", got)
	}
	if got, want := str.types(), []string{"stream.degraded:low_fps"}; !slices.Equal(got, want) {
		t.Fatalf("min_fps 20 at 10 fps: %v, want %v", got, want)
	}
	st := str.m.status("cam-0001", str.now)
	if st.State != StateDegraded || st.FPS < 9 || st.FPS > 11 {
		t.Errorf("state %s at %.1f fps, want degraded at ≈10", st.State, st.FPS)
	}
	ev := str.m.events("cam-0001", str.now, []verdict{{typ: typeDegraded, reason: ReasonFPS}})
	if ev[0].Data["min_fps_threshold"] != 20.0 {
		t.Errorf("stream.degraded data %v: want min_fps_threshold 20", ev[0].Data)
	}

	// Back at 25 fps: the window is over 20 fps within about 5 s, then the
	// 5 s hold.
	str.gap = 40 * time.Millisecond
	str.run(15 * time.Second)
	if got, want := str.types(), []string{"stream.restored"}; !slices.Equal(got, want) {
		t.Fatalf("back at 25 fps: %v, want %v", got, want)
	}
}

func TestMinFPSValidate(t *testing.T) {
	for _, v := range []float64{-1, 1001} {
		c := testConfig()
		c.Thresholds.MinFPS = v
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "thresholds.min_fps") {
			t.Errorf("min_fps %v: Validate = %v, want a min_fps error", v, err)
		}
	}
}
