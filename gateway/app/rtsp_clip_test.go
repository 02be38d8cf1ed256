package app_test

import (
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

// The real path of a pulled camera's evidence: GStreamer's RTSP server
// sends the simulator's clip (25 fps, a keyframe a second) timestamped
// and paced as a camera does; the gateway pulls it (ffmpeg → RTP
// listener → ring); a press on the box the camera watches gives the alarm
// a clip, fetched over the API and read by ffprobe.

// rtspClipSite runs a gateway whose cam-0021 is pulled from srv and
// watched by box lb-0021, with the given pre- and post-roll.
func rtspClipSite(t *testing.T, srv *testsvc.RTSPServer, pre, post time.Duration) *site {
	t.Helper()
	return startSite(t, siteOptions{mutate: func(cfg *config.Config) {
		cfg.Clips.PreRoll, cfg.Clips.PostRoll = pre, post
		reg := siteRegistry +
			"  - {id: lb-0021, kind: lightbox, grid: lh-g4-07, cameras: [cam-0021]}\n" +
			"  - {id: cam-0021, kind: camera, grid: lh-g4-07, rtsp: {url: \"" + srv.URL + "\"}}\n"
		if err := os.WriteFile(cfg.Registry, []byte(reg), 0o600); err != nil {
			t.Fatal(err)
		}
	}})
}

// waitRing waits until camera cam's ring holds at least d of video.
func waitRing(t *testing.T, s *site, cam string, d time.Duration) {
	t.Helper()
	ringSeconds := regexp.MustCompile(`(?m)^gridwatch_video_ring_seconds\{device="` + regexp.QuoteMeta(cam) + `"\} ([0-9.e+]+)$`)
	testsvc.Eventually(t, 90*time.Second, cam+"'s ring fills", func() bool {
		m := ringSeconds.FindStringSubmatch(s.metrics())
		if m == nil {
			return false
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v >= d.Seconds()
	})
}

// settledClip waits for the alarm of a press on box to have its one clip
// settled, and returns it (failing the test unless it is ready).
func settledClip(t *testing.T, s *site, box string) alarm.Clip {
	t.Helper()
	var c alarm.Clip
	testsvc.Eventually(t, 90*time.Second, "the clip settled on the alarm", func() bool {
		var list struct{ Alarms []alarm.Alarm }
		s.getJSON("/api/v1/alarms", &list)
		for _, a := range list.Alarms {
			if a.Device == box && len(a.Clips) == 1 && a.Clips[0].Final() {
				c = a.Clips[0]
				return true
			}
		}
		return false
	})
	if c.State != alarm.ClipReady {
		t.Fatalf("clip = %+v, want ready", c)
	}
	return c
}

// probedFrame is one frame of a clip as ffprobe reads it.
type probedFrame struct {
	pts float64 // seconds
	key bool
}

// probedClip is what ffprobe and ffmpeg make of a clip served by the API.
type probedClip struct {
	codec    string
	duration time.Duration
	frames   []probedFrame
}

// fetchAndProbe downloads the clip c over the API and reads it with
// ffprobe; it fails the test unless ffmpeg decodes every frame without
// an error.
func fetchAndProbe(t *testing.T, s *site, c alarm.Clip) probedClip {
	t.Helper()
	ffmpeg := testsvc.FFmpeg(t)
	ffprobe := filepath.Join(filepath.Dir(ffmpeg), "ffprobe")
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
	if out, err := exec.Command(ffmpeg, "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("decoding the clip: %v\n%s", err, out)
	}
	var p probedClip
	p.codec = probe("-select_streams", "v:0", "-show_entries", "stream=codec_name", "-of", "csv=p=0")
	d, err := strconv.ParseFloat(probe("-show_entries", "format=duration", "-of", "csv=p=0"), 64)
	if err != nil {
		t.Fatal(err)
	}
	p.duration = time.Duration(d * float64(time.Second))
	for _, l := range strings.Fields(probe("-select_streams", "v:0", "-show_entries", "frame=key_frame,pts_time", "-of", "csv=p=0")) {
		key, pts, ok := strings.Cut(strings.TrimSuffix(l, ","), ",")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(pts, 64)
		if err != nil {
			t.Fatalf("ffprobe frame line %q", l)
		}
		p.frames = append(p.frames, probedFrame{pts: v, key: key == "1"})
	}
	if len(p.frames) == 0 {
		t.Fatal("ffprobe found no frames")
	}
	return p
}

// checkPlayable fails the test unless the clip is H.264 starting on a
// keyframe, with presentation times that only advance.
func (p probedClip) checkPlayable(t *testing.T) {
	t.Helper()
	if p.codec != "h264" {
		t.Fatalf("codec %q, want h264", p.codec)
	}
	if !p.frames[0].key {
		t.Errorf("the first frame is not a keyframe")
	}
	for i := 1; i < len(p.frames); i++ {
		if p.frames[i].pts <= p.frames[i-1].pts {
			t.Fatalf("frame %d at %.3f s after frame %d at %.3f s", i, p.frames[i].pts, i-1, p.frames[i-1].pts)
		}
	}
}

// gap is the longest time between two frames of the clip, and the index
// of the frame after it.
func (p probedClip) gap() (time.Duration, int) {
	var longest float64
	at := 0
	for i := 1; i < len(p.frames); i++ {
		if d := p.frames[i].pts - p.frames[i-1].pts; d > longest {
			longest, at = d, i
		}
	}
	return time.Duration(longest * float64(time.Second)), at
}

// checkPressClip fetches the clip c of a press over the API and checks it
// is the evidence a press needs: playable H.264 from a keyframe (see
// checkPlayable), lasting pre+post within a GOP (1 s), the press at least
// the pre-roll in, at the camera's 25 frames a second with no hole, and
// a still beside it.
func checkPressClip(t *testing.T, s *site, c alarm.Clip, pre, post time.Duration) probedClip {
	t.Helper()
	p := fetchAndProbe(t, s, c)
	p.checkPlayable(t)
	if p.duration < pre+post-200*time.Millisecond || p.duration > pre+post+time.Second+200*time.Millisecond {
		t.Errorf("clip lasts %v, want pre+post (%v) within a GOP", p.duration, pre+post)
	}
	if off := time.Duration(c.PressOffsetMS) * time.Millisecond; off < pre || off > p.duration {
		t.Errorf("press at %v into a clip of %v, want at least the pre-roll %v in", off, p.duration, pre)
	}
	// 25 fps: the frames cover the clip at the camera's rate, none
	// bunched up and none missing.
	span := p.frames[len(p.frames)-1].pts - p.frames[0].pts
	if fps := float64(len(p.frames)-1) / span; fps < 22 || fps > 28 {
		t.Errorf("%d frames over %.3f s: %.1f fps, want 25", len(p.frames), span, fps)
	}
	if g, at := p.gap(); g > 200*time.Millisecond {
		t.Errorf("%v without a frame before frame %d of a camera that never stopped", g, at)
	}
	if c.Still == "" {
		t.Errorf("no still: %+v", c)
	}
	return p
}

// TestRTSPPanicClip: a press on a box whose camera the gateway pulls over
// RTSP gives the alarm a clip that is real video: H.264, decodable,
// starting on a keyframe, as long as pre-roll plus post-roll within a GOP
// (1 s), with the press inside, at the camera's 25 frames a second (a
// stream with broken timestamps gave hundreds of frames in a fraction of
// a second), the frames evenly spaced.
func TestRTSPPanicClip(t *testing.T) {
	testsvc.FFmpeg(t)
	const pre, post = 3 * time.Second, 2 * time.Second
	srv := testsvc.GstRTSPServer(t, testsvc.RTSPServerOptions{Clip: "../../firmware-sim/camera/testdata/clip.h264"})
	srv.Start()
	s := rtspClipSite(t, srv, pre, post)
	waitRing(t, s, "cam-0021", pre+time.Second)

	pressed := time.Now()
	s.press(s.client("lb-0021", true, nil), "lb-0021", 1)
	c := settledClip(t, s, "lb-0021")
	ready := time.Since(pressed)
	p := checkPressClip(t, s, c, pre, post)
	t.Logf("clip %v, %d frames, press at +%d ms; press → clip seen ready by the API poll: %v (post-roll %v)",
		p.duration.Round(time.Millisecond), len(p.frames), c.PressOffsetMS, ready.Round(time.Millisecond), post)
}

// TestInteropRTSPClipAcrossReconnect: the RTSP camera restarts during the
// post-roll (the server stopped and started again: a new RTP session);
// the gateway pulls it again and the clip goes on across the outage: one
// playable file, H.264, decodable, starting on a keyframe, times only
// advancing, the outage a gap in it followed by a keyframe of the new
// session and video up to the end of the post-roll.
func TestInteropRTSPClipAcrossReconnect(t *testing.T) {
	testsvc.FFmpeg(t)
	const pre, post = 3 * time.Second, 12 * time.Second
	srv := testsvc.GstRTSPServer(t, testsvc.RTSPServerOptions{Clip: "../../firmware-sim/camera/testdata/clip.h264"})
	srv.Start()
	s := rtspClipSite(t, srv, pre, post)
	waitRing(t, s, "cam-0021", pre+time.Second)

	s.press(s.client("lb-0021", true, nil), "lb-0021", 1)
	time.Sleep(time.Second) // into the post-roll (ordering only: any time in it will do)
	srv.Stop()
	time.Sleep(time.Second)
	srv.Start()
	c := settledClip(t, s, "lb-0021")
	p := fetchAndProbe(t, s, c)
	p.checkPlayable(t)
	g, at := p.gap()
	if g < 500*time.Millisecond {
		t.Fatalf("no gap in the clip (longest %v): the outage is not in it", g)
	}
	if !p.frames[at].key {
		t.Errorf("the frame after the outage (%d, at %.3f s) is not a keyframe", at, p.frames[at].pts)
	}
	if after := len(p.frames) - at; after < 25 {
		t.Errorf("%d frames after the outage, want at least a second's", after)
	}
	// The clip spans the pre-roll, the outage and the rest of the
	// post-roll (it may end sooner only if the camera is silent too long).
	if p.duration < pre+post-200*time.Millisecond || p.duration > pre+post+time.Second+200*time.Millisecond {
		t.Errorf("clip lasts %v, want pre+post (%v) within a GOP", p.duration, pre+post)
	}
	if off := time.Duration(c.PressOffsetMS) * time.Millisecond; off < pre || off > p.duration {
		t.Errorf("press at %v into a clip of %v, want at least the pre-roll %v in", off, p.duration, pre)
	}
	t.Logf("clip %v, %d frames, press at +%d ms, outage %v before frame %d (%.3f s)",
		p.duration.Round(time.Millisecond), len(p.frames), c.PressOffsetMS, g.Round(time.Millisecond), at, p.frames[at].pts)
}
