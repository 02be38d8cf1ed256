package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// dirClips serves clips from dir/{alarm}/{camera}.{ext}.
type dirClips string

func (d dirClips) Open(id, camera, ext string) (*os.File, error) {
	f, err := os.Open(filepath.Join(string(d), id, camera+"."+ext))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoClip, camera)
	}
	return f, err
}

const maToken = "ma-token-0123456789ab"

func TestServeClip(t *testing.T) {
	dir := t.TempDir()
	video := bytes.Repeat([]byte("0123456789"), 1000) // 10 kB standing in for an MP4
	if err := os.MkdirAll(filepath.Join(dir, "A0001"), 0o750); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"cam-01.mp4": video, "cam-01.jpg": []byte("\xff\xd8jpeg")} {
		if err := os.WriteFile(filepath.Join(dir, "A0001", name), b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	a := redAlarm()
	a.PlanClips([]string{"cam-01", "cam-02", "cam-03"}, 990)
	a.AttachClip(alarm.Clip{Camera: "cam-01", State: alarm.ClipReady, Still: alarm.ClipURL(a.ID, "cam-01", "jpg")}, 2000)
	a.AttachClip(alarm.Clip{Camera: "cam-03", State: alarm.ClipNoVideo, Error: "camera offline"}, 2000)
	s := newServer(t, testConfig(newFakeDesk(a), func(c *Config) {
		c.Clips = dirClips(dir)
		c.Tokens["ma"] = maToken
	}))
	h := s.Handler()
	tests := []struct {
		name, path, token, rng string
		code                   int
		ctype, body            string
		header                 map[string]string
	}{
		{name: "video", path: "cam-01.mp4", token: wangToken, code: 200, ctype: "video/mp4", body: string(video),
			header: map[string]string{"Accept-Ranges": "bytes", "Content-Length": "10000"}},
		{name: "a range, so the browser seeks", path: "cam-01.mp4", token: zhaoToken, rng: "bytes=100-109", code: 206,
			ctype: "video/mp4", body: "0123456789", header: map[string]string{"Content-Range": "bytes 100-109/10000"}},
		{name: "still", path: "cam-01.jpg", token: wangToken, code: 200, ctype: "image/jpeg", body: "\xff\xd8jpeg"},
		{name: "another cell's grid member", path: "cam-01.mp4", token: maToken, code: 403, body: "does not serve its cell"},
		{name: "no login", path: "cam-01.mp4", code: 401},
		{name: "still recording", path: "cam-02.mp4", token: wangToken, code: 404, body: "is recording",
			header: map[string]string{"Retry-After": "10"}},
		{name: "no video is said", path: "cam-03.mp4", token: wangToken, code: 404, body: "no_video: camera offline"},
		{name: "not a camera of the alarm", path: "cam-09.mp4", token: wangToken, code: 404, body: "has no clip"},
		{name: "unknown kind", path: "cam-01.txt", token: wangToken, code: 404, body: "want {camera}.mp4"},
		{name: "unknown alarm", path: "cam-01.mp4", token: wangToken, code: 404, body: "no alarm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "A0001"
			if tt.name == "unknown alarm" {
				id = "A0404"
			}
			req := httptest.NewRequest("GET", "/api/v1/alarms/"+id+"/clips/"+tt.path, nil)
			req.Host = "localhost"
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			if tt.rng != "" {
				req.Header.Set("Range", tt.rng)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != tt.code || !strings.Contains(string(body), tt.body) {
				t.Fatalf("got %d %.200q, want %d %q", rec.Code, body, tt.code, tt.body)
			}
			if tt.ctype != "" && rec.Header().Get("Content-Type") != tt.ctype {
				t.Errorf("Content-Type %q, want %q", rec.Header().Get("Content-Type"), tt.ctype)
			}
			for k, v := range tt.header {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
	// A file gone (retention, or no still made) is a 404 naming why.
	if err := os.Remove(filepath.Join(dir, "A0001", "cam-01.jpg")); err != nil {
		t.Fatal(err)
	}
	if code, body, _ := call(t, h, "GET", "/api/v1/alarms/A0001/clips/cam-01.jpg", wangToken, "", ""); code != http.StatusNotFound || !strings.Contains(body, "not kept") {
		t.Fatalf("deleted still: %d %s", code, body)
	}
	if code, _, hdr := call(t, h, "HEAD", "/api/v1/alarms/A0001/clips/cam-01.mp4", wangToken, "", ""); code != 200 || hdr.Get("Content-Length") != "10000" {
		t.Fatalf("HEAD: %d %v", code, hdr)
	}
}

func TestNoClipRouteWithoutClips(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(redAlarm()), nil))
	if code, _, _ := call(t, s.Handler(), "GET", "/api/v1/alarms/A0001/clips/cam-01.mp4", wangToken, "", ""); code != http.StatusNotFound {
		t.Fatalf("got %d, want 404", code)
	}
}
