package app_test

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestPanicClipFromRealCamera: ffmpeg sends a camera's H.264 over RTP; a
// press on the box the camera watches gives its alarm a clip recorded by
// the camera's own recorder (no fake): ffprobe finds it decodable,
// starting on a keyframe, as long as pre-roll plus post-roll within a
// GOP (1 s), with the press inside it; the still is a JPEG.
func TestPanicClipFromRealCamera(t *testing.T) {
	ffmpeg := testsvc.FFmpeg(t)
	ffprobe := filepath.Join(filepath.Dir(ffmpeg), "ffprobe")
	const pre, post = 3 * time.Second, 2 * time.Second
	rtpAddr := "127.0.0.1:" + strconv.Itoa(freeUDPPort(t))
	s := startSite(t, siteOptions{mutate: func(cfg *config.Config) {
		cfg.Clips.PreRoll, cfg.Clips.PostRoll = pre, post
		reg := siteRegistry +
			"  - {id: lb-0010, kind: lightbox, grid: lh-g4-07, cameras: [cam-0001]}\n" +
			"  - {id: cam-0001, kind: camera, grid: lh-g4-07, rtp: {listen: \"" + rtpAddr + "\"}}\n"
		if err := os.WriteFile(cfg.Registry, []byte(reg), 0o600); err != nil {
			t.Fatal(err)
		}
	}})
	ring := regexp.MustCompile(`(?m)^gridwatch_video_ring_seconds\{device="cam-0001"\} ([0-9.e+]+)$`)
	seconds := func() float64 {
		m := ring.FindStringSubmatch(s.metrics())
		if m == nil {
			return 0
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	ff := testsvc.FFmpegRTP(t, rtpAddr, func(context.Context) error {
		if seconds() == 0 {
			return errors.New("no video in cam-0001's ring yet")
		}
		return nil
	})
	ff.Start()
	testsvc.Eventually(t, 60*time.Second, "the pre-roll in the ring", func() bool { return seconds() >= pre.Seconds()+1 })

	box := s.client("lb-0010", true, nil)
	pressed := time.Now()
	s.press(box, "lb-0010", 1)
	var c alarm.Clip
	testsvc.Eventually(t, 60*time.Second, "the clip settled on the alarm", func() bool {
		var list struct{ Alarms []alarm.Alarm }
		s.getJSON("/api/v1/alarms", &list)
		for _, a := range list.Alarms {
			if a.Device == "lb-0010" && len(a.Clips) == 1 && a.Clips[0].Final() {
				c = a.Clips[0]
				return true
			}
		}
		return false
	})
	ready := time.Since(pressed)
	if c.State != alarm.ClipReady {
		t.Fatalf("clip = %+v, want ready", c)
	}
	resp := get(t, s.base+c.URL, "")
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", c.URL, resp.StatusCode, err)
	}
	path := filepath.Join(t.TempDir(), "clip.mp4")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	probe := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(ffprobe, append([]string{"-v", "error"}, append(args, path)...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("ffprobe %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if codec := probe("-select_streams", "v:0", "-show_entries", "stream=codec_name", "-of", "csv=p=0"); codec != "h264" {
		t.Fatalf("codec %q", codec)
	}
	if key := probe("-select_streams", "v:0", "-read_intervals", "%+#1", "-show_entries", "frame=key_frame", "-of", "csv=p=0"); key != "1" {
		t.Fatalf("first frame key_frame = %q, want 1", key)
	}
	// Every frame decodes without an error.
	if out, err := exec.Command(ffmpeg, "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("decoding the clip: %v\n%s", err, out)
	}
	d, err := strconv.ParseFloat(probe("-show_entries", "format=duration", "-of", "csv=p=0"), 64)
	if err != nil {
		t.Fatal(err)
	}
	dur := time.Duration(d * float64(time.Second))
	if dur < pre+post-200*time.Millisecond || dur > pre+post+time.Second+200*time.Millisecond {
		t.Errorf("clip lasts %v, want pre+post (%v) within a GOP", dur, pre+post)
	}
	if off := time.Duration(c.PressOffsetMS) * time.Millisecond; off < pre || off > dur {
		t.Errorf("press at %v into a clip of %v, want at least the pre-roll %v in", off, dur, pre)
	}
	if c.Still == "" {
		t.Errorf("no still: %+v", c)
	}
	t.Logf("clip %v, press at +%d ms; press → clip seen ready by the API poll: %v (post-roll %v)", dur, c.PressOffsetMS, ready.Round(time.Millisecond), post)
}
