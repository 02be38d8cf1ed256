package videorec

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestClipPlaysInBrowser: Chromium plays a clip in a <video> element —
// it learns the duration and picture size from the moov in front, shows
// the first picture, and seeks into the middle — served by a plain file
// server with Range support, as the gateway serves clips.
func TestClipPlaysInBrowser(t *testing.T) {
	aus := encode(t, 4, 25, 25)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	rec, err := New(Config{Device: "cam-1"}, Options{Now: func() time.Time { return t0.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	cam := newCamera(t, rec, aus, 25, t0)
	for range 20 * 25 {
		cam.frame()
	}
	dir := t.TempDir()
	res, err := rec.Clip(context.Background(), ClipRequest{At: t0.Add(12 * time.Second), Pre: 6 * time.Second, Post: 4 * time.Second, Path: filepath.Join(dir, "clip.mp4")})
	if err != nil {
		t.Fatal(err)
	}
	page := `<!doctype html><video id="v" src="clip.mp4" muted preload="auto"></video>`
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(page), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()

	ctx := testsvc.Browser(t, 60*time.Second)
	type state struct {
		Ready    int     `json:"ready"`
		Duration float64 `json:"duration"`
		Width    int     `json:"width"`
		Err      int     `json:"err"`
		Time     float64 `json:"time"`
		Seeking  bool    `json:"seeking"`
	}
	var st state
	look := func() state {
		t.Helper()
		if err := chromedp.Run(ctx, chromedp.Evaluate(`(() => { const v = document.getElementById("v");
			return {ready: v.readyState, duration: v.duration || 0, width: v.videoWidth, err: v.error ? v.error.code : 0,
			        time: v.currentTime, seeking: v.seeking}; })()`, &st)); err != nil {
			t.Fatal(err)
		}
		return st
	}
	if err := chromedp.Run(ctx, chromedp.Navigate(srv.URL+"/index.html")); err != nil {
		t.Fatal(err)
	}
	testsvc.Eventually(t, 30*time.Second, "the first picture shown", func() bool { s := look(); return s.Ready >= 2 || s.Err != 0 })
	if st.Err != 0 || st.Width != 320 {
		t.Fatalf("video element %+v (MediaError code %d)", st, st.Err)
	}
	want := res.End.Sub(res.Start).Seconds()
	if st.Duration < want-0.1 || st.Duration > want+0.1 {
		t.Errorf("browser duration %.2f s, clip %.2f s", st.Duration, want)
	}
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.getElementById("v").currentTime = 5.5`, nil)); err != nil {
		t.Fatal(err)
	}
	testsvc.Eventually(t, 30*time.Second, "seeked to 5.5 s", func() bool { s := look(); return !s.Seeking && s.Time > 5 && s.Ready >= 2 })
	if st.Err != 0 {
		t.Errorf("after the seek: %+v", st)
	}
}
