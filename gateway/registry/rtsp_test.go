package registry

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestRTSP checks a camera's rtsp decodes, that bad fields are reported at
// their line, and that no message carries a password.
func TestRTSP(t *testing.T) {
	r, err := Parse("r.yaml", []byte(base+`  - id: cam-2
    kind: camera
    grid: mid
    rtsp: {url: "rtsp://10.0.0.5:554/Streaming/101", transport: udp, username: viewer, password: "env:CAM2_PASS"}
`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	cam, _ := r.Device("cam-2")
	want := RTSP{URL: "rtsp://10.0.0.5:554/Streaming/101", Transport: "udp", Username: "viewer", Password: "env:CAM2_PASS"}
	if cam.RTSP == nil || *cam.RTSP != want || cam.RTSP.PasswordEnv() != "CAM2_PASS" {
		t.Errorf("cam-2 rtsp = %+v, want %+v", cam.RTSP, want)
	}

	const secret = "Hunter2pw"
	cases := []struct{ name, rtsp, want string }{
		{"url only", `{url: "rtsp://cam/1"}`, ""},
		{"credentials in the url", `{url: "rtsps://admin:` + secret + `@cam:322/1", transport: tcp}`, ""},
		{"not rtsp", `{url: "http://admin:` + secret + `@cam/1"}`,
			`9: device x: rtsp.url "http://admin:xxxxx@cam/1": want rtsp://host[:port]/path`},
		{"no host", `{url: "rtsp://admin:` + secret + `@/1"}`,
			`9: device x: rtsp.url "rtsp://admin:xxxxx@/1": want rtsp://host[:port]/path`},
		{"does not parse", `{url: "rtsp://admin:` + secret + `%zz@cam/1"}`,
			`9: device x: rtsp.url "rtsp://xxxxx@cam/1": want rtsp://host[:port]/path`},
		{"port out of range", `{url: "rtsp://admin:` + secret + `@cam:99999/1"}`,
			`9: device x: rtsp.url "rtsp://admin:xxxxx@cam:99999/1": port 99999 out of range 1..65535`},
		{"port only", `{url: "rtsp://:554/1"}`, `9: device x: rtsp.url "rtsp://:554/1": want rtsp://host[:port]/path`},
		{"transport", `{url: "rtsp://cam/1", transport: sctp}`, `9: device x: rtsp.transport "sctp": want tcp or udp`},
		{"password itself", `{url: "rtsp://cam/1", username: admin, password: ` + secret + `}`,
			"9: device x: rtsp.password: want env:NAME (the gateway's environment variable that holds it), not the password itself"},
		{"bad env name", `{url: "rtsp://cam/1", password: "env:CAM-1"}`,
			"9: device x: rtsp.password: want env:NAME (the gateway's environment variable that holds it), not the password itself"},
		{"unknown field", `{url: "rtsp://cam/1", pass: x}`,
			`9: device x: rtsp: unknown field "pass" (want url, transport, username, password)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("r.yaml", []byte(base+"  - {id: x, kind: camera, grid: mid, rtsp: "+c.rtsp+"}\n"))
			if c.want == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if err == nil || err.Error() != "r.yaml:"+c.want {
				t.Errorf("got:\n%v\nwant:\nr.yaml:%s", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

func TestRTSPJSONHidesPassword(t *testing.T) {
	b, err := json.Marshal(Device{ID: "cam", RTSP: &RTSP{URL: "rtsp://admin:s3cret@cam/1", Password: "env:P"}})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); strings.Contains(s, "s3cret") || !strings.Contains(s, `"url":"rtsp://admin:xxxxx@cam/1"`) {
		t.Errorf("json %s: want the url with its password hidden", s)
	}
}

// TestRTSPWithThresholds: a pulled camera may set its stream thresholds
// in rtp, without listen (the gateway binds its listener on loopback);
// with listen it is refused.
func TestRTSPWithThresholds(t *testing.T) {
	r, err := Parse("r.yaml", []byte(base+"  - {id: x, kind: camera, grid: mid, rtsp: {url: \"rtsp://cam/1\"}, rtp: {min_fps: 12, loss_pct: 1}}\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if cam, _ := r.Device("x"); cam.RTP == nil || cam.RTP.MinFPS != 12 || cam.RTP.Listen != "" {
		t.Errorf("rtp = %+v, want thresholds only", cam.RTP)
	}
	for name, rtp := range map[string]string{
		"listen too":    `{listen: ":5004", min_fps: 12}`,
		"bad threshold": `{min_fps: -1}`,
	} {
		_, err := Parse("r.yaml", []byte(base+"  - {id: x, kind: camera, grid: mid, rtsp: {url: \"rtsp://cam/1\"}, rtp: "+rtp+"}\n"))
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Without rtsp, listen stays required.
	if _, err := Parse("r.yaml", []byte(base+"  - {id: x, kind: camera, grid: mid, rtp: {min_fps: 12}}\n")); err == nil ||
		!strings.Contains(err.Error(), "rtp.listen missing") {
		t.Errorf("rtp without listen nor rtsp: %v", err)
	}
}
