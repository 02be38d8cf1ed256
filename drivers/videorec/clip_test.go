package videorec

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/drivers/h264"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestClipFromRing: a press whose pre- and post-roll are both in the
// ring already gives at once an MP4 that ffprobe reads as H.264, that
// decodes without an error, starts on a keyframe, holds the press and
// lasts pre + post within a GOP.
func TestClipFromRing(t *testing.T) {
	const fps, gop = 25, 25
	aus := encode(t, 4, fps, gop)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	rec, err := New(Config{Device: "cam-1", Ring: 30 * time.Second}, Options{Now: func() time.Time { return t0.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	cam := newCamera(t, rec, aus, fps, t0)
	cam.restart(7) // the stream starts mid-GOP: the ring starts at the first keyframe
	for range 40 * fps {
		cam.frame()
	}
	st := rec.Status()
	if st.Span < 30*time.Second || st.Span > 31*time.Second || st.Codec != h264.CodecH264 {
		t.Fatalf("ring %+v, want 30–31 s of h264", st)
	}
	at := t0.Add(25*time.Second + 300*time.Millisecond)
	path := filepath.Join(t.TempDir(), "clip.mp4")
	res, err := rec.Clip(context.Background(), ClipRequest{At: at, Pre: 10 * time.Second, Post: 5 * time.Second, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	checkClip(t, path, res, at, 15*time.Second, time.Second)
}

// checkClip is what a reviewer checks: ffprobe's view, and the result's
// word on it.
func checkClip(t *testing.T, path string, res ClipResult, at time.Time, want, gop time.Duration) {
	t.Helper()
	p := testsvc.ProbeVideo(t, path)
	if p.Codec != "h264" || !p.FirstKey || p.DecodeErr != "" {
		t.Fatalf("clip %+v", p)
	}
	if d := time.Duration(p.Duration * float64(time.Second)); d < want-gop/2 || d > want+gop+gop/2 {
		t.Errorf("duration %v, want %v within a GOP (%v)", d, want, gop)
	}
	if at.Before(res.Start) || at.After(res.End) {
		t.Errorf("press %v outside the clip %v–%v", at, res.Start, res.End)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != res.Bytes || res.Frames != p.Frames || res.Codec != "h264" {
		t.Errorf("result %+v, file %v %v, ffprobe frames %d", res, fi, err, p.Frames)
	}
	if got := res.End.Sub(res.Start).Seconds(); math.Abs(got-p.Duration) > 0.1 {
		t.Errorf("result says %.2fs, ffprobe %.2fs", got, p.Duration)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	boxes, err := topBoxes(f, fi.Size())
	if err != nil || len(boxes) < 3 || boxes[0].typ != "ftyp" || boxes[1].typ != "moov" {
		t.Errorf("not faststart: %v %v", boxes, err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*part"))
	if len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// TestClipPostRoll: the post-roll is recorded as it arrives (the clip
// waits for it, the camera never waits for the clip), across a camera
// restart (new SSRC, resuming mid-GOP) in the post-roll, and a clip
// longer than the ring is whole.
func TestClipPostRoll(t *testing.T) {
	const fps, gop = 25, 50
	aus := encode(t, 4, fps, gop)
	dir := t.TempDir()
	type outcome struct {
		res ClipResult
		err error
		at  time.Time
	}
	var got outcome
	synctest.Test(t, func(t *testing.T) {
		rec, err := New(Config{Device: "cam-1", Ring: 10 * time.Second}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		cam := newCamera(t, rec, aus, fps, time.Now())
		tick := func(n int) {
			for range n {
				cam.at = time.Now()
				cam.frame()
				time.Sleep(time.Second / fps)
			}
		}
		tick(15 * fps)
		got.at = time.Now()
		done := make(chan struct{})
		go func() {
			defer close(done)
			got.res, got.err = rec.Clip(context.Background(), ClipRequest{At: got.at, Pre: 8 * time.Second,
				Post: 20 * time.Second, Path: filepath.Join(dir, "clip.mp4")})
		}()
		tick(5 * fps)
		cam.restart(13) // rebooted, mid-GOP
		tick(20 * fps)
		<-done
	})
	if got.err != nil {
		t.Fatal(got.err)
	}
	// The outage costs the frames up to the restarted camera's first keyframe.
	checkClip(t, filepath.Join(dir, "clip.mp4"), got.res, got.at, 28*time.Second, 2*time.Second)
}

// TestClipSilentCamera: a camera that stops in the post-roll gives a
// shorter clip after Config.Silence, and ctx ending stops it too.
func TestClipSilentCamera(t *testing.T) {
	aus := encode(t, 2, 25, 25)
	dir := t.TempDir()
	var res, res2 ClipResult
	var err, err2 error
	synctest.Test(t, func(t *testing.T) {
		rec, _ := New(Config{Device: "cam-1", Silence: 3 * time.Second}, Options{})
		cam := newCamera(t, rec, aus, 25, time.Now())
		for range 100 {
			cam.at = time.Now()
			cam.frame()
			time.Sleep(40 * time.Millisecond)
		}
		start := time.Now()
		res, err = rec.Clip(context.Background(), ClipRequest{At: start, Pre: 2 * time.Second, Post: time.Minute, Path: filepath.Join(dir, "a.mp4")})
		if took := time.Since(start); took < 3*time.Second || took > 4*time.Second {
			t.Errorf("silent camera's clip took %v, want Silence (3s)", took)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start = time.Now()
		res2, err2 = rec.Clip(ctx, ClipRequest{At: start, Pre: 2 * time.Second, Post: time.Minute, Path: filepath.Join(dir, "b.mp4")})
		if took := time.Since(start); took > 1200*time.Millisecond {
			t.Errorf("clip outlived its ctx: %v", took)
		}
	})
	for _, e := range []error{err, err2} {
		if e != nil {
			t.Fatal(e)
		}
	}
	// Pre-roll from the keyframe at or before the press − 2 s (one a
	// second); the second press came 3 s after the camera went dark: its
	// clip is the 2 s before that (from the keyframe before).
	if res.Frames != 50 || res2.Frames != 75 {
		t.Errorf("frames %d and %d, want 50 and 75", res.Frames, res2.Frames)
	}
	if p := testsvc.ProbeVideo(t, filepath.Join(dir, "a.mp4")); !p.FirstKey || p.DecodeErr != "" {
		t.Errorf("short clip %+v", p)
	}
}

// TestClipErrors: no video, an H.265 camera and a bad request are errors
// that say so, and leave no file.
func TestClipErrors(t *testing.T) {
	dir := t.TempDir()
	rec, _ := New(Config{Device: "cam-1"}, Options{})
	req := ClipRequest{At: time.Now(), Pre: time.Second, Post: time.Second, Path: filepath.Join(dir, "x.mp4")}
	if _, err := rec.Clip(context.Background(), req); !errors.Is(err, ErrNoVideo) {
		t.Errorf("empty ring: %v, want ErrNoVideo", err)
	}
	rec.Codec(h264.CodecH265)
	if _, err := rec.Clip(context.Background(), req); !errors.Is(err, ErrUnsupportedCodec) {
		t.Errorf("h265: %v, want ErrUnsupportedCodec", err)
	}
	for _, bad := range []ClipRequest{
		{At: req.At, Pre: time.Second},
		{At: req.At, Pre: -time.Second, Path: req.Path},
		{At: req.At, Pre: 2 * time.Hour, Path: req.Path},
		{At: req.At.Add(time.Hour), Post: time.Second, Path: req.Path}, // a clock gone wrong
	} {
		if _, err := rec.Clip(context.Background(), bad); err == nil || errors.Is(err, ErrNoVideo) {
			t.Errorf("bad request %+v: %v", bad, err)
		}
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("files left: %v", left)
	}
}

// TestClipStaleRing: a camera that went silent long before the press
// gives no clip of its old video: ErrNoVideo after Silence, or, if it
// comes back in the post-roll, a clip of the new video only.
func TestClipStaleRing(t *testing.T) {
	aus := encode(t, 2, 25, 25)
	dir := t.TempDir()
	var err, err2 error
	var res2 ClipResult
	var back time.Time
	synctest.Test(t, func(t *testing.T) {
		rec, _ := New(Config{Device: "cam-1", Silence: 2 * time.Second}, Options{})
		cam := newCamera(t, rec, aus, 25, time.Now())
		send := func(n int) {
			for range n {
				cam.at = time.Now()
				cam.frame()
				time.Sleep(40 * time.Millisecond)
			}
		}
		send(100)
		time.Sleep(time.Minute) // the camera is off
		_, err = rec.Clip(context.Background(), ClipRequest{At: time.Now(), Pre: 10 * time.Second, Post: 5 * time.Second, Path: filepath.Join(dir, "a.mp4")})

		press := time.Now()
		done := make(chan struct{})
		go func() {
			defer close(done)
			res2, err2 = rec.Clip(context.Background(), ClipRequest{At: press, Pre: 10 * time.Second, Post: 3 * time.Second, Path: filepath.Join(dir, "b.mp4")})
		}()
		time.Sleep(time.Second)
		back = time.Now()
		cam.restart(0)
		send(100)
		<-done
	})
	if !errors.Is(err, ErrNoVideo) {
		t.Errorf("stale ring: %v, want ErrNoVideo", err)
	}
	if err2 != nil {
		t.Fatal(err2)
	}
	if res2.Start.Before(back) || res2.Frames < 40 || res2.Frames > 60 {
		t.Errorf("clip %+v, want the 2 s after the camera came back at %v", res2, back)
	}
	if _, e := os.Stat(filepath.Join(dir, "a.mp4")); e == nil {
		t.Errorf("a clip of stale video was written")
	}
}
