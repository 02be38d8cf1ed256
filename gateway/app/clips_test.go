package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/app"
	"github.com/gridwatch/gridwatch/gateway/clips"
	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// mp4Recorder stands in for a camera's recorder: it waits for the
// post-roll, then writes a real H.264 MP4 (made by ffmpeg) through a
// temporary file and a rename. Cameras in dark have no video.
type mp4Recorder struct {
	sample string
	dark   []string
}

func (r mp4Recorder) Clip(ctx context.Context, camera string, req clips.Request) (clips.Result, error) {
	if slices.Contains(r.dark, camera) {
		return clips.Result{}, fmt.Errorf("camera %s: nothing in the ring: %w", camera, clips.ErrNoVideo)
	}
	select {
	case <-time.After(time.Until(req.At.Add(req.Post))):
	case <-ctx.Done():
		return clips.Result{}, ctx.Err()
	}
	b, err := os.ReadFile(r.sample)
	if err != nil {
		return clips.Result{}, err
	}
	if err := os.WriteFile(req.Path+".tmp", b, 0o640); err != nil {
		return clips.Result{}, err
	}
	if err := os.Rename(req.Path+".tmp", req.Path); err != nil {
		return clips.Result{}, err
	}
	start := req.At.Add(-2 * time.Second)
	return clips.Result{Start: start, End: start.Add(4 * time.Second), Frames: 40, Bytes: int64(len(b)), Codec: "h264"}, nil
}

// TestPanicKeepsEvidenceClips: a press on a box whose cell has cameras the
// gateway records gives its alarm a clip from each; the first page names
// the clip; the clip and its still are served (with Range) and shown on
// the alarm; a camera without video is noted; the camera that records on
// its own gets the MQTT clip command and the recorded ones do not.
func TestPanicKeepsEvidenceClips(t *testing.T) {
	ff := testsvc.FFmpeg(t)
	sample := filepath.Join(t.TempDir(), "sample.mp4")
	if out, err := exec.Command(ff, "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi",
		"-i", "testsrc=size=160x120:rate=10", "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10",
		"-pix_fmt", "yuv420p", "-movflags", "+faststart", "-y", sample).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	rtp := func() string { return "127.0.0.1:" + strconv.Itoa(freeUDPPort(t)) }
	s := startSite(t, siteOptions{
		opts: []app.Option{app.WithClipRecorder(mp4Recorder{sample: sample, dark: []string{"cam-dark"}})},
		mutate: func(cfg *config.Config) {
			cfg.Clips.PreRoll, cfg.Clips.PostRoll = 2*time.Second, 2*time.Second
			reg := siteRegistry +
				"  - {id: lb-0010, kind: lightbox, grid: lh-g4-07, cameras: [cam-rec, cam-own]}\n" +
				"  - {id: cam-rec, kind: camera, grid: lh-g4-07, rtp: {listen: \"" + rtp() + "\"}}\n" +
				"  - {id: cam-dark, kind: camera, grid: lh-g4-07, rtp: {listen: \"" + rtp() + "\"}}\n" +
				"  - {id: cam-own, kind: camera, grid: lh-g4-07}\n"
			if err := os.WriteFile(cfg.Registry, []byte(reg), 0o600); err != nil {
				t.Fatal(err)
			}
		}})
	cmds := make(chan string, 16) // camera:cmd of every command a camera got
	for _, cam := range []string{"cam-rec", "cam-dark", "cam-own"} {
		c := s.client(cam, true, nil)
		tok := c.Subscribe(s.topics.Command(cam), 1, func(_ paho.Client, m paho.Message) {
			var cmd wire.CommandMsg
			if json.Unmarshal(m.Payload(), &cmd) == nil {
				cmds <- cam + ":" + cmd.Cmd
			}
		})
		if !tok.WaitTimeout(wait) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	phones := s.phones("wang")
	box := s.client("lb-0010", true, nil)
	s.press(box, "lb-0010", 1)

	var a alarm.Alarm
	testsvc.Eventually(t, 60*time.Second, "both clips settled on the alarm", func() bool {
		var list struct{ Alarms []alarm.Alarm }
		s.getJSON("/api/v1/alarms", &list)
		for _, x := range list.Alarms {
			if x.Device == "lb-0010" {
				a = x
			}
		}
		return len(a.Clips) == 2 && a.Clips[0].Final() && a.Clips[1].Final()
	})
	want := "/api/v1/alarms/" + a.ID + "/clips/cam-rec.mp4"
	if a.Clip != want {
		t.Fatalf("alarm clip = %q, want %q", a.Clip, want)
	}
	testsvc.Eventually(t, wait, "wang's page", func() bool { return len(phones["wang"].all()) > 0 })
	if n := phones["wang"].all()[0]; n.Clip != want {
		t.Fatalf("the first page carries clip %q, want %q", n.Clip, want)
	}
	rec, dark := a.Clips[0], a.Clips[1]
	if rec.Camera != "cam-rec" || rec.State != alarm.ClipReady || rec.PressOffsetMS != 2000 || rec.Still == "" {
		t.Fatalf("cam-rec clip = %+v", rec)
	}
	if dark.Camera != "cam-dark" || dark.State != alarm.ClipNoVideo || !strings.Contains(dark.Error, "nothing in the ring") {
		t.Fatalf("cam-dark clip = %+v", dark)
	}
	var full alarm.Alarm
	s.getJSON("/api/v1/alarms/"+a.ID, &full)
	var notes []string
	for _, e := range full.Timeline {
		if e.Kind == alarm.EntryClip {
			notes = append(notes, e.By+" "+e.Note)
			if e.By == "cam-rec" {
				t.Logf("press → clip ready: %d ms (post-roll 2 s)", e.At-rec.AtMS)
			}
		}
	}
	slices.Sort(notes)
	if len(notes) != 2 || notes[0] != "cam-dark no_video: camera cam-dark: nothing in the ring: no video from the camera" || notes[1] != "cam-rec ready" {
		t.Fatalf("clip timeline entries = %q", notes)
	}

	// The video, whole and by range; ffprobe reads what was served.
	resp := get(t, s.base+rec.URL, "")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "video/mp4" {
		t.Fatalf("GET %s: %d %s", rec.URL, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	got := filepath.Join(t.TempDir(), "got.mp4")
	if err := os.WriteFile(got, body, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name",
		"-of", "csv=p=0", got).CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "h264" {
		t.Fatalf("ffprobe of the served clip: %v %q", err, out)
	}
	resp = get(t, s.base+rec.URL, "bytes=0-99")
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || resp.Header.Get("Content-Range") != "bytes 0-99/"+strconv.Itoa(len(body)) {
		t.Fatalf("range: %d %q", resp.StatusCode, resp.Header.Get("Content-Range"))
	}
	resp = get(t, s.base+rec.Still, "")
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("still: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	// Commands: only the camera that records on its own got a clip.
	time.Sleep(500 * time.Millisecond)
	var seen []string
	for len(cmds) > 0 {
		seen = append(seen, <-cmds)
	}
	if !slices.Contains(seen, "cam-own:clip") || slices.Contains(seen, "cam-rec:clip") || slices.Contains(seen, "cam-dark:clip") {
		t.Fatalf("camera commands = %v, want cam-own:clip only", seen)
	}
	if m := s.metrics(); !strings.Contains(m, `gridwatch_clips_total{outcome="ready"} 1`) ||
		!strings.Contains(m, `gridwatch_clips_total{outcome="no_video"} 1`) {
		t.Errorf("/metrics lacks the clip outcomes")
	}
}

func get(t *testing.T, url, rng string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestConsoleShowsClipLive: with the console open in Chromium, a press
// shows its alarm in focus with the camera's clip recording, then — over
// the event stream, no reload — the still and a video the browser plays.
func TestConsoleShowsClipLive(t *testing.T) {
	ff := testsvc.FFmpeg(t)
	sample := filepath.Join(t.TempDir(), "sample.mp4")
	if out, err := exec.Command(ff, "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi",
		"-i", "testsrc=size=160x120:rate=10", "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10",
		"-pix_fmt", "yuv420p", "-movflags", "+faststart", "-y", sample).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	s := startSite(t, siteOptions{
		opts: []app.Option{app.WithClipRecorder(mp4Recorder{sample: sample})},
		mutate: func(cfg *config.Config) {
			cfg.Clips.PreRoll, cfg.Clips.PostRoll = 2*time.Second, 8*time.Second
			reg := siteRegistry +
				"  - {id: lb-0010, kind: lightbox, grid: lh-g4-07, cameras: [cam-rec]}\n" +
				"  - {id: cam-rec, kind: camera, grid: lh-g4-07, rtp: {listen: \"127.0.0.1:" + strconv.Itoa(freeUDPPort(t)) + "\"}}\n"
			if err := os.WriteFile(cfg.Registry, []byte(reg), 0o600); err != nil {
				t.Fatal(err)
			}
		}})
	ctx := testsvc.Browser(t, 90*time.Second)
	testsvc.FailOnScriptErrors(t, ctx, "console")
	if err := chromedp.Run(ctx,
		chromedp.Navigate(s.base+"/"),
		chromedp.WaitVisible(`#conn[data-state="live"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	s.press(s.client("lb-0010", true, nil), "lb-0010", 1)
	clip := `#focus-cameras li[data-camera="cam-rec"]`
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(clip+`[data-clip-state="recording"]`, chromedp.ByQuery),
		chromedp.WaitVisible(clip+`[data-clip-state="ready"] video`, chromedp.ByQuery),
		chromedp.Poll(`(() => { const v = document.querySelector('`+clip+` video'), i = document.querySelector('`+clip+` img');
			return v.readyState >= 1 && v.videoWidth === 160 && i.complete && i.naturalWidth === 160; })()`, nil,
			chromedp.WithPollingTimeout(45*time.Second)),
	); err != nil {
		testsvc.Screenshot(t, ctx, "console-clip")
		t.Fatalf("the console did not show the clip live: %v", err)
	}
}
