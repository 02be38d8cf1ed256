package clips

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/prometheus/client_golang/prometheus"
)

// sampleMP4 makes, once per test, a real 4-second H.264 MP4 (160×120,
// 10 fps, a keyframe a second) with ffmpeg: what a recorder writes.
func sampleMP4(t *testing.T) string {
	t.Helper()
	ff := testsvc.FFmpeg(t)
	p := filepath.Join(t.TempDir(), "sample.mp4")
	out, err := exec.Command(ff, "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi",
		"-i", "testsrc=size=160x120:rate=10", "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10",
		"-pix_fmt", "yuv420p", "-movflags", "+faststart", "-y", p).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg sample clip: %v: %s", err, out)
	}
	return p
}

// fakeRecorder writes a copy of a real MP4 for each clip, through a
// temporary file and a rename, after delay (or once release is closed);
// err[camera] makes that camera's clips fail instead.
type fakeRecorder struct {
	sample  string
	delay   time.Duration
	release chan struct{} // nil: do not wait
	err     map[string]error

	mu    sync.Mutex
	calls []Request
}

func (f *fakeRecorder) Clip(ctx context.Context, camera string, req Request) (Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, req)
	f.mu.Unlock()
	if err := f.err[camera]; err != nil {
		return Result{}, fmt.Errorf("camera %s: %w", camera, err)
	}
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
	}
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	b, err := os.ReadFile(f.sample)
	if err != nil {
		return Result{}, err
	}
	if err := os.WriteFile(req.Path+".part", b, 0o640); err != nil {
		return Result{}, err
	}
	if err := os.Rename(req.Path+".part", req.Path); err != nil {
		return Result{}, err
	}
	start := req.At.Add(-2 * time.Second) // the sample is 4 s: the press in its middle
	return Result{Start: start, End: start.Add(4 * time.Second), Frames: 40, Bytes: int64(len(b)), Codec: "h264"}, nil
}

func (f *fakeRecorder) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// fakeDesk holds alarms and records the clips attached.
type fakeDesk struct {
	mu       sync.Mutex
	alarms   map[string]*alarm.Alarm
	attached chan attachment
}

type attachment struct {
	alarmID string
	clip    alarm.Clip
}

func newFakeDesk(as ...*alarm.Alarm) *fakeDesk {
	d := &fakeDesk{alarms: map[string]*alarm.Alarm{}, attached: make(chan attachment, 64)}
	for _, a := range as {
		d.alarms[a.ID] = a
	}
	return d
}

func (d *fakeDesk) AttachClip(_ context.Context, id string, c alarm.Clip) error {
	d.mu.Lock()
	if a := d.alarms[id]; a != nil {
		a.AttachClip(c, time.Now().UnixMilli())
	}
	d.mu.Unlock()
	d.attached <- attachment{id, c}
	return nil
}

func (d *fakeDesk) Get(id string) (alarm.Alarm, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.alarms[id]
	if a == nil {
		return alarm.Alarm{}, false, nil
	}
	return *a.Clone(), true, nil
}

func (d *fakeDesk) List(f alarm.Filter) ([]alarm.Alarm, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []alarm.Alarm
	for _, a := range d.alarms {
		if !a.State.Closed() {
			out = append(out, *a.Clone())
		}
	}
	return out, nil
}

// next waits for the next attached clip.
func (d *fakeDesk) next(t *testing.T) attachment {
	t.Helper()
	select {
	case a := <-d.attached:
		return a
	case <-time.After(60 * time.Second):
		t.Fatal("no clip attached within 60s")
		return attachment{}
	}
}

// nextN waits for n attachments and returns them by camera.
func (d *fakeDesk) nextN(t *testing.T, n int) map[string]alarm.Clip {
	t.Helper()
	out := map[string]alarm.Clip{}
	for range n {
		a := d.next(t)
		out[a.clip.Camera] = a.clip
	}
	return out
}

// openAlarm is an open alarm raised at, planning clips from cams.
func openAlarm(id string, at time.Time, cams ...string) *alarm.Alarm {
	a := &alarm.Alarm{ID: id, Rule: "panic", Device: "lb-1", Grid: "g1", State: alarm.Open, RaisedMS: at.UnixMilli()}
	a.PlanClips(cams, at.UnixMilli())
	return a
}

// start runs a service until the test ends.
func start(t *testing.T, cfg Config) (*Service, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(t.TempDir(), "clips")
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return s, reg
}
