package videorec

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

func TestParamSets(t *testing.T) {
	sps, pps, idr := []byte{0x67, 1, 2, 0}, []byte{0x68, 3}, []byte{0x65, 9, 9}
	au := append(append(append(append(append([]byte{0, 0, 0, 1}, sps...), 0, 0, 0, 1), pps...), 0, 0, 1), idr...)
	gs, gp := paramSets(au)
	if !bytes.Equal(gs, []byte{0x67, 1, 2}) || !bytes.Equal(gp, pps) {
		t.Errorf("sps %x pps %x", gs, gp)
	}
	if s, p := paramSets([]byte{0, 0, 0, 1, 0x41, 5}); s != nil || p != nil {
		t.Errorf("P slice: %x %x", s, p)
	}
}

// TestClipEndsAtNewSettings: a camera that restarts in the post-roll with
// another picture size gives a clip that ends before the change — one
// MP4 track, one set of parameters — that decodes cleanly, rather than a
// file whose second half is garbage.
func TestClipEndsAtNewSettings(t *testing.T) {
	small := encode(t, 2, 25, 25)
	large := encodeSize(t, "640x360", 2, 25, 25)
	dir := t.TempDir()
	var res ClipResult
	var err error
	synctest.Test(t, func(t *testing.T) {
		rec, _ := New(Config{Device: "cam-1"}, Options{})
		defer rec.Close()
		cam := newCamera(t, rec, small, 25, time.Now())
		send := func(n int) {
			for range n {
				cam.at = time.Now()
				cam.frame()
				time.Sleep(40 * time.Millisecond)
			}
		}
		send(250)
		done := make(chan struct{})
		go func() {
			defer close(done)
			res, err = rec.Clip(context.Background(), ClipRequest{At: time.Now(), Pre: 4 * time.Second, Post: 6 * time.Second, Path: filepath.Join(dir, "c.mp4")})
		}()
		send(50)
		cam.aus = large
		cam.restart(0)
		send(200)
		<-done
	})
	if err != nil {
		t.Fatal(err)
	}
	// 4 s before the press (from its keyframe), 2 s after, then the change.
	if res.Frames != 150 {
		t.Errorf("frames %d, want 150", res.Frames)
	}
	path := filepath.Join(dir, "c.mp4")
	if p := testsvc.ProbeVideo(t, path); !p.FirstKey || p.DecodeErr != "" {
		t.Errorf("clip %+v", p)
	}
	ffprobe := filepath.Join(filepath.Dir(testsvc.FFmpeg(t)), "ffprobe")
	out, _ := exec.Command(ffprobe, "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", path).CombinedOutput()
	if strings.TrimSpace(string(out)) != "320,240" {
		t.Errorf("size %q", out)
	}
}
