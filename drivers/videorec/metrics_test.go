package videorec

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestMetrics: the ring and clip metrics pass the linter, carry the
// device, and say what the ring holds; two recorders share a registry.
func TestMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	aus := encode(t, 2, 25, 25)
	rec, err := New(Config{Device: "cam-1", Ring: 2 * time.Second}, Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if _, err := New(Config{Device: "cam-2"}, Options{Registerer: reg}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Device: "cam-1"}, Options{Registerer: reg}); err == nil {
		t.Error("a second recorder for cam-1 registered its metrics")
	}
	cam := newCamera(t, rec, aus, 25, time.Now())
	cam.restart(3) // mid-GOP: 22 pictures wait for the keyframe
	for range 150 {
		cam.frame()
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}
	testsvc.LintGathered(t, reg) // promtool check metrics
	st := rec.Status()
	want := `
# HELP gridwatch_video_ring_dropped_frames_total Frames the ring could not keep, by reason: wait_keyframe (none since start, a camera restart or an overflow), oversize (a group of pictures beyond the memory cap).
# TYPE gridwatch_video_ring_dropped_frames_total counter
gridwatch_video_ring_dropped_frames_total{device="cam-1",reason="oversize"} 0
gridwatch_video_ring_dropped_frames_total{device="cam-1",reason="wait_keyframe"} 22
gridwatch_video_ring_dropped_frames_total{device="cam-2",reason="oversize"} 0
gridwatch_video_ring_dropped_frames_total{device="cam-2",reason="wait_keyframe"} 0
# HELP gridwatch_video_ring_frames Frames in the camera's ring.
# TYPE gridwatch_video_ring_frames gauge
gridwatch_video_ring_frames{device="cam-1"} ` + strconv.Itoa(st.Frames) + `
gridwatch_video_ring_frames{device="cam-2"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gridwatch_video_ring_dropped_frames_total", "gridwatch_video_ring_frames"); err != nil {
		t.Error(err)
	}
	if st.Frames < 50 || st.Frames > 75 || st.Span < 2*time.Second {
		t.Errorf("ring %+v, want 2–3 s", st)
	}
}

// TestConcurrentClips: several clips at once, while the camera sends,
// each get their own whole window and the camera's pictures keep coming.
func TestConcurrentClips(t *testing.T) {
	aus := encode(t, 2, 25, 25)
	dir := t.TempDir()
	results := make([]ClipResult, 4)
	errs := make([]error, 4)
	synctest.Test(t, func(t *testing.T) {
		rec, _ := New(Config{Device: "cam-1"}, Options{})
		defer rec.Close()
		cam := newCamera(t, rec, aus, 25, time.Now())
		send := func(n int) {
			for range n {
				cam.at = time.Now()
				cam.frame()
				time.Sleep(40 * time.Millisecond)
			}
		}
		send(250)
		var wg sync.WaitGroup
		for i := range results {
			at := time.Now()
			wg.Go(func() {
				results[i], errs[i] = rec.Clip(context.Background(), ClipRequest{At: at, Pre: 4 * time.Second,
					Post: 2 * time.Second, Path: filepath.Join(dir, strconv.Itoa(i)+".mp4")})
			})
			send(25)
		}
		send(100)
		wg.Wait()
	})
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("clip %d: %v", i, errs[i])
		}
		// 4 s before (from the keyframe at or before), 2 s after: 150–175 frames.
		if r.Frames < 150 || r.Frames > 176 {
			t.Errorf("clip %d: %+v", i, r)
		}
		if i > 0 && r.Start.Sub(results[i-1].Start) != time.Second {
			t.Errorf("clip %d starts %v after the one before, want 1s", i, r.Start.Sub(results[i-1].Start))
		}
	}
}
