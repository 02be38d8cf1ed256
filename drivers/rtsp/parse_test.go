package rtsp

import (
	"net/url"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"rtsp://admin:s3cret@10.0.0.5:554/Streaming/101", "rtsp://admin:xxxxx@10.0.0.5:554/Streaming/101"},
		{"rtsp://10.0.0.5/live", "rtsp://10.0.0.5/live"},
		{"rtsp://admin@10.0.0.5/live", "rtsp://admin@10.0.0.5/live"},
		// Does not parse (bad escape): everything before the '@' goes.
		{"rtsp://admin:s3%zz@10.0.0.5/live", "rtsp://xxxxx@10.0.0.5/live"},
		{"admin:s3cret@10.0.0.5", "xxxxx@10.0.0.5"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestConfigTarget(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Config
		want string
	}{
		{"url only", Config{URL: "rtsp://u:p@cam/a"}, "rtsp://u:p@cam/a"},
		{"password replaces the url's", Config{URL: "rtsp://u:old@cam/a", Password: "n3w/pw"}, "rtsp://u:n3w%2Fpw@cam/a"},
		{"username and password", Config{URL: "rtsp://cam/a", Username: "viewer", Password: "pw"}, "rtsp://viewer:pw@cam/a"},
		{"username alone", Config{URL: "rtsp://cam/a", Username: "viewer"}, "rtsp://viewer@cam/a"},
		{"username keeps the url's password", Config{URL: "rtsp://u:pw@cam/a", Username: "viewer"}, "rtsp://viewer:pw@cam/a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := tc.c.target()
			if err != nil || u.String() != tc.want {
				t.Errorf("target() = %v, %v; want %s", u, err, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	err := Config{URL: "http://admin:s3cret@cam/a", Transport: "sctp", Timeout: -1}.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"no device", "want rtsp://host", "transport \"sctp\"", "negative timeout"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "s3cret") {
		t.Errorf("error leaks the password: %q", msg)
	}
	if err := (Config{Device: "cam", URL: "rtsps://cam:322/a", Transport: "udp"}).Validate(); err != nil {
		t.Errorf("good config refused: %v", err)
	}
}

func TestScrub(t *testing.T) {
	u, _ := url.Parse("rtsp://admin:p%40ss%2Fw0rd@10.0.0.5/live") // password p@ss/w0rd
	s := newScrubber(u)
	for _, line := range []string{
		"Input #0, rtsp, from 'rtsp://admin:p%40ss%2Fw0rd@10.0.0.5/live':",
		"rtsp://admin:p@ss/w0rd@10.0.0.5/live: Server returned 401 Unauthorized",
		"password p%40ss%2Fw0rd or p@ss%2Fw0rd",
	} {
		got := s.Scrub(line)
		for _, secret := range []string{"p@ss/w0rd", "p%40ss%2Fw0rd", "p@ss%2Fw0rd"} {
			if strings.Contains(got, secret) {
				t.Errorf("Scrub(%q) = %q still holds %q", line, got, secret)
			}
		}
	}
	if got := newScrubber(&url.URL{Scheme: "rtsp", Host: "cam"}).Scrub("no secret here"); got != "no secret here" {
		t.Errorf("a URL without password changed a line: %q", got)
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		lines  []string
		ok     bool
		reason string
	}{
		{[]string{"[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized", "rtsp://a:xxxxx@h/c: Server returned 401 Unauthorized (authorization failed)"}, false, ReasonUnauthorized},
		{[]string{"rtsp://h/c: Server returned 403 Forbidden (access denied)"}, false, ReasonForbidden},
		{[]string{"rtsp://h/nope: Server returned 404 Not Found"}, false, ReasonNotFound},
		{[]string{"[tcp @ 0x1] Connection to tcp://127.0.0.1:1?timeout=0 failed: Connection refused"}, false, ReasonRefused},
		{[]string{"[tcp @ 0x1] Failed to resolve hostname camera.invalid: Name or service not known"}, false, ReasonUnreachable},
		{[]string{"Connection to tcp://10.9.9.9:554 failed: No route to host"}, false, ReasonUnreachable},
		{[]string{"rtsp://h/c: Connection timed out"}, false, ReasonUnreachable},
		{[]string{"[rtsp @ 0x1] Operation timed out"}, false, ReasonTimeout},
		{[]string{"Stream map '0:v:0' matches no streams."}, false, ReasonNoVideo},
		{[]string{"Stream mapping:", "Exiting normally"}, true, ReasonEnded},
		{[]string{"Stream mapping:", "video:333kB audio:0kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: 1.338466%"}, true, ReasonEnded},
		{[]string{"something new went wrong"}, false, ReasonExited},
		{nil, false, ReasonExited},
	} {
		reason, line := classify(tc.lines, tc.ok)
		if reason != tc.reason {
			t.Errorf("classify(%q) = %s, want %s", tc.lines, reason, tc.reason)
		}
		if len(tc.lines) > 0 && line == "" {
			t.Errorf("classify(%q): no line", tc.lines)
		}
		// A stream that ended is said so, not with ffmpeg's byte count.
		if tc.reason == ReasonEnded && (!strings.Contains(line, "closed the stream") || strings.Contains(line, "kB")) {
			t.Errorf("classify(%q) says %q, want that the camera closed the stream", tc.lines, line)
		}
	}
}

func TestCodecOf(t *testing.T) {
	for _, tc := range []struct{ line, codec string }{
		{"  Stream #0:0: Video: h264 (Constrained Baseline), yuv420p(progressive), 640x360, 25 fps", "h264"},
		{"  Stream #0:1[0x101]: Video: hevc (Main), yuv420p(tv), 1920x1080, 90k tbn", "hevc"},
		{"  Stream #0:0: Audio: pcm_mulaw, 8000 Hz, mono", ""},
		{"  Stream #0:0 -> #0:0 (copy)", ""},
	} {
		got, ok := codecOf(tc.line)
		if got != tc.codec || ok != (tc.codec != "") {
			t.Errorf("codecOf(%q) = %q, %v; want %q", tc.line, got, ok, tc.codec)
		}
	}
}
