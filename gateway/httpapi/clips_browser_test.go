package httpapi

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestAlarmDetailShowsClipInChromium: the focus panel of an alarm with
// evidence shows the still of the press and plays the clip (a real H.264
// MP4 served by the API, decoded by the browser), opened at the press;
// a camera without video says so.
func TestAlarmDetailShowsClipInChromium(t *testing.T) {
	ff := testsvc.FFmpeg(t)
	dir := t.TempDir()
	clipDir := filepath.Join(dir, "A0001")
	if err := os.MkdirAll(clipDir, 0o750); err != nil {
		t.Fatal(err)
	}
	mp4 := filepath.Join(clipDir, "cam-01.mp4")
	for _, args := range [][]string{
		{"-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "6", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10",
			"-pix_fmt", "yuv420p", "-movflags", "+faststart", "-y", mp4},
		{"-ss", "3", "-i", mp4, "-frames:v", "1", "-update", "1", "-y", filepath.Join(clipDir, "cam-01.jpg")},
	} {
		if out, err := exec.Command(ff, append([]string{"-hide_banner", "-nostdin", "-loglevel", "error"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %v: %v: %s", args, err, out)
		}
	}
	a := redAlarm()
	a.PlanClips([]string{"cam-01", "cam-02"}, 990)
	a.AttachClip(alarm.Clip{Camera: "cam-01", State: alarm.ClipReady, StartMS: 1000, EndMS: 7000, PressOffsetMS: 3000,
		Still: alarm.ClipURL(a.ID, "cam-01", "jpg")}, 2000)
	a.AttachClip(alarm.Clip{Camera: "cam-02", State: alarm.ClipNoVideo, Error: "camera offline"}, 2000)
	srv := httptest.NewServer(newServer(t, testConfig(newFakeDesk(a), func(c *Config) {
		c.Auth = false
		c.Clips = dirClips(dir)
	})).Handler())
	t.Cleanup(srv.Close)
	ctx := chromium(t)
	testsvc.FailOnScriptErrors(t, ctx, "wall screen")

	var got struct {
		VideoWidth, StillWidth int
		At                     float64
		Dark                   string
	}
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(`#focus-cameras li[data-camera="cam-01"] video`, chromedp.ByQuery),
		chromedp.Poll(`(() => {
			const v = document.querySelector('#focus-cameras li[data-camera="cam-01"] video');
			const img = document.querySelector('#focus-cameras li[data-camera="cam-01"] img');
			return v.readyState >= 1 && v.videoWidth > 0 && v.currentTime > 0 && img.complete && img.naturalWidth > 0;
		})()`, nil, chromedp.WithPollingTimeout(45*time.Second)),
		chromedp.Evaluate(`(() => {
			const v = document.querySelector('#focus-cameras li[data-camera="cam-01"] video');
			const img = document.querySelector('#focus-cameras li[data-camera="cam-01"] img');
			const dark = document.querySelector('#focus-cameras li[data-camera="cam-02"]');
			return {VideoWidth: v.videoWidth, StillWidth: img.naturalWidth, At: v.currentTime,
				Dark: dark.dataset.clipState + " " + dark.textContent};
		})()`, &got, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p }),
	); err != nil {
		testsvc.Screenshot(t, ctx, "clip-detail")
		t.Fatal(err)
	}
	if got.VideoWidth != 160 || got.StillWidth != 160 || got.At < 2.5 || got.At > 3.5 {
		t.Errorf("video %dpx wide at %.2fs, still %dpx; want 160px at the press (3s), still 160px", got.VideoWidth, got.At, got.StillWidth)
	}
	if !strings.HasPrefix(got.Dark, "no_video ") || !strings.Contains(got.Dark, "camera offline") {
		t.Errorf("camera without video shows %q", got.Dark)
	}
}
