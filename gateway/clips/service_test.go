package clips

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestRecordsClipAndStill(t *testing.T) {
	rec := &fakeRecorder{sample: sampleMP4(t), delay: 100 * time.Millisecond,
		err: map[string]error{"cam-dark": ErrNoVideo, "cam-h265": ErrUnsupportedCodec}}
	at := time.Now().Add(-time.Second).Truncate(time.Millisecond)
	a := openAlarm("20261206-0001", at, "cam-01", "cam-dark", "cam-h265")
	desk := newFakeDesk(a)
	s, reg := start(t, Config{Recorder: rec, Desk: desk, FFmpeg: testsvc.FFmpeg(t), Pre: 30 * time.Second, Post: 20 * time.Second})
	s.Publish(*a.Clone())
	s.Publish(*a.Clone()) // the board shows the alarm again: no second recording
	got := desk.nextN(t, 3)

	ok := got["cam-01"]
	want := alarm.Clip{Camera: "cam-01", State: alarm.ClipReady, AtMS: at.UnixMilli(),
		StartMS: at.Add(-2 * time.Second).UnixMilli(), EndMS: at.Add(2 * time.Second).UnixMilli(), PressOffsetMS: 2000,
		Frames: 40, Bytes: ok.Bytes, Codec: "h264", Still: "/api/v1/alarms/20261206-0001/clips/cam-01.jpg"}
	if ok != want || ok.Bytes == 0 {
		t.Fatalf("cam-01 clip = %+v\nwant %+v", ok, want)
	}
	if c := got["cam-dark"]; c.State != alarm.ClipNoVideo || !strings.Contains(c.Error, "no video") {
		t.Fatalf("camera without video: %+v", c)
	}
	if c := got["cam-h265"]; c.State != alarm.ClipFailed || !strings.Contains(c.Error, "unsupported") {
		t.Fatalf("H.265 camera: %+v", c)
	}
	if n := rec.callCount(); n != 3 {
		t.Fatalf("recorder called %d times, want 3 (once per camera)", n)
	}
	rec.mu.Lock()
	var r Request
	for _, c := range rec.calls { // the workers run the cameras in any order
		if filepath.Base(c.Path) == "cam-01.mp4" {
			r = c
		}
	}
	rec.mu.Unlock()
	if r.Pre != 30*time.Second || r.Post != 20*time.Second || !r.At.Equal(at) ||
		r.Path != filepath.Join(s.cfg.Dir, a.ID, "cam-01.mp4") {
		t.Fatalf("request = %+v", r)
	}
	// The still is a real JPEG of the clip's size, as ffprobe reads it.
	jpg := filepath.Join(s.cfg.Dir, a.ID, "cam-01.jpg")
	out, err := exec.Command(ffprobe(t), "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", jpg).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "mjpeg,160,120" {
		t.Fatalf("ffprobe still: %v: %q", err, out)
	}
	f, err := s.Open(a.ID, "cam-01", "mp4")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, o := range []struct {
		outcome string
		want    float64
	}{{outcomeReady, 1}, {outcomeNoVideo, 1}, {outcomeFailed, 1}} {
		if got := testutil.ToFloat64(s.m.outcomes.WithLabelValues(o.outcome)); got != o.want {
			t.Errorf("gridwatch_clips_total{outcome=%q} = %v, want %v", o.outcome, got, o.want)
		}
	}
	if n, err := testutil.GatherAndCount(reg, "gridwatch_clips_ready_seconds"); err != nil || n != 1 {
		t.Errorf("ready histogram: %d, %v", n, err)
	}
}

func ffprobe(t *testing.T) string {
	p, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Skip("ffprobe not installed")
	}
	return p
}

// A full queue fails the clip on the alarm (never blocks the board, never
// drops it silently).
func TestQueueFullFailsTheClip(t *testing.T) {
	rec := &fakeRecorder{sample: sampleMP4(t), release: make(chan struct{})}
	a1 := openAlarm("A1", time.Now(), "cam-1")
	a2 := openAlarm("A2", time.Now(), "cam-2", "cam-3")
	desk := newFakeDesk(a1, a2)
	s, _ := start(t, Config{Recorder: rec, Desk: desk, Workers: 1, Queue: 1})
	s.Publish(*a1.Clone())
	testsvc.Eventually(t, 30*time.Second, "the worker records cam-1", func() bool { return rec.callCount() == 1 })
	done := make(chan struct{})
	go func() { s.Publish(*a2.Clone()); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked")
	}
	// The worker holds cam-1, the queue cam-2: cam-3 is refused, on its alarm.
	first := desk.next(t)
	if first.alarmID != "A2" || first.clip.Camera != "cam-3" || first.clip.State != alarm.ClipFailed ||
		!strings.Contains(first.clip.Error, "queue is full") {
		t.Fatalf("first outcome = %+v, want cam-3 refused", first)
	}
	close(rec.release)
	got := desk.nextN(t, 2)
	if got["cam-1"].State != alarm.ClipReady || got["cam-2"].State != alarm.ClipReady {
		t.Fatalf("outcomes %+v", got)
	}
	if v := testutil.ToFloat64(s.m.outcomes.WithLabelValues(outcomeDropped)); v != 1 {
		t.Fatalf("dropped = %v", v)
	}
}

// Below the free-space floor no clip is written: the journal's disk
// comes first.
func TestDiskFloorStopsRecording(t *testing.T) {
	rec := &fakeRecorder{sample: sampleMP4(t)}
	a := openAlarm("A1", time.Now(), "cam-1")
	desk := newFakeDesk(a)
	s, _ := start(t, Config{Recorder: rec, Desk: desk, MinFreeBytes: 1 << 30,
		Free: func(string) (int64, error) { return 100 << 20, nil }})
	s.Publish(*a.Clone())
	c := desk.next(t).clip
	if c.State != alarm.ClipFailed || !strings.Contains(c.Error, "floor") {
		t.Fatalf("clip = %+v, want failed at the disk floor", c)
	}
	if rec.callCount() != 0 {
		t.Fatal("the recorder was asked below the floor")
	}
	if v := testutil.ToFloat64(s.m.outcomes.WithLabelValues(outcomeDiskFloor)); v != 1 {
		t.Fatalf("disk_floor = %v", v)
	}
}

// The floor on a real small filesystem: statfs, not a fake.
func TestDiskFloorRealFilesystem(t *testing.T) {
	dir := testsvc.SmallFS(t, 8<<20)
	rec := &fakeRecorder{sample: sampleMP4(t)}
	a := openAlarm("A1", time.Now(), "cam-1")
	desk := newFakeDesk(a)
	s, _ := start(t, Config{Dir: filepath.Join(dir, "clips"), Recorder: rec, Desk: desk, MinFreeBytes: 16 << 20})
	s.Publish(*a.Clone())
	if c := desk.next(t).clip; c.State != alarm.ClipFailed || !strings.Contains(c.Error, "floor") {
		t.Fatalf("clip on an 8 MiB disk with a 16 MiB floor = %+v", c)
	}
}

// Clips a stop cut short are settled at the next start: a whole file is
// ready, anything else failed; none stays "recording" for ever.
func TestRecoverAfterRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "clips")
	a := openAlarm("A1", time.Now().Add(-time.Hour), "cam-done", "cam-cut")
	if err := os.MkdirAll(filepath.Join(dir, "A1"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "A1", "cam-done.mp4"), []byte("mp4"), 0o640); err != nil {
		t.Fatal(err)
	}
	desk := newFakeDesk(a)
	rec := &fakeRecorder{sample: sampleMP4(t)}
	start(t, Config{Dir: dir, Recorder: rec, Desk: desk})
	got := desk.nextN(t, 2)
	if c := got["cam-done"]; c.State != alarm.ClipReady || c.Bytes != 3 {
		t.Fatalf("whole clip: %+v", c)
	}
	if c := got["cam-cut"]; c.State != alarm.ClipFailed || !strings.Contains(c.Error, "interrupted") {
		t.Fatalf("cut clip: %+v", c)
	}
	if rec.callCount() != 0 {
		t.Fatal("an hour-old press was recorded again")
	}
}

func TestOpenRefusesPathsOutOfTheDirectory(t *testing.T) {
	s, err := New(Config{Dir: t.TempDir(), Recorder: &fakeRecorder{}, Desk: newFakeDesk()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ id, cam, ext string }{
		{"..", "x", "mp4"}, {"A1", "../../etc/passwd", "mp4"}, {"A1", "cam", "txt"}, {"A/1", "cam", "mp4"},
		{".hidden", "cam", "jpg"}, {"A1", "nope", "mp4"},
	} {
		if _, err := s.Open(tt.id, tt.cam, tt.ext); !errors.Is(err, ErrNoFile) {
			t.Errorf("Open(%q, %q, %q) = %v, want ErrNoFile", tt.id, tt.cam, tt.ext, err)
		}
	}
}
