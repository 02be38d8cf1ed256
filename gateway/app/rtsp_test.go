package app_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestRTSPCameras: the gateway pulls cameras registered with rtsp: from an
// independent RTSP server (GStreamer's, behind Basic auth). cam-0002's
// password comes from the environment (env:): its stream is up in
// /metrics and in its device status, with the codec. cam-0003's URL
// carries a wrong password: the refusal is a log line, a metric and a
// stream alarm, and neither password is in any log.
func TestRTSPCameras(t *testing.T) {
	testsvc.FFmpeg(t)
	const secret, wrong = "Cam-s3cret-01", "Cam-wr0ng-01"
	srv := testsvc.GstRTSPServer(t, testsvc.RTSPServerOptions{Clip: "../../firmware-sim/camera/testdata/clip.h264",
		User: "admin", Password: secret})
	srv.Start()
	t.Setenv("GW_TEST_CAM02_PASS", secret)
	bad := strings.Replace(srv.URL, "rtsp://", "rtsp://admin:"+wrong+"@", 1)
	s := startSite(t, siteOptions{mutate: func(cfg *config.Config) {
		reg := siteRegistry +
			"  - {id: cam-0002, kind: camera, grid: lh-g4-07, rtsp: {url: \"" + srv.URL + "\", username: admin, password: \"env:GW_TEST_CAM02_PASS\"}}\n" +
			"  - {id: cam-0003, kind: camera, grid: lh-g4-07, rtsp: {url: \"" + bad + "\"}}\n" +
			"  - {id: cam-0004, kind: camera, grid: lh-g4-07, rtsp: {url: \"" + srv.URL + "\", username: admin, password: \"env:GW_TEST_CAM02_PASS\"}, rtp: {min_fps: 100}}\n"
		if err := os.WriteFile(cfg.Registry, []byte(reg), 0o600); err != nil {
			t.Fatal(err)
		}
	}})
	camera := func(id string) devices.Status {
		var list struct{ Devices []devices.Status }
		s.getJSON("/api/v1/devices", &list)
		for _, d := range list.Devices {
			if d.ID == id {
				return d
			}
		}
		return devices.Status{}
	}
	up := regexp.MustCompile(`gridwatch_rtsp_up\{device="cam-0002"\} 1`)
	rtpUp := regexp.MustCompile(`gridwatch_rtp_stream_up\{device="cam-0002"\} 1`)
	refused := regexp.MustCompile(`gridwatch_rtsp_failures_total\{device="cam-0003",reason="unauthorized"\} [1-9]`)
	testsvc.Eventually(t, 90*time.Second, "cam-0002 streams and cam-0003's login is refused, in /metrics", func() bool {
		m := s.metrics()
		return up.MatchString(m) && rtpUp.MatchString(m) && refused.MatchString(m)
	})
	testsvc.Eventually(t, 60*time.Second, "cam-0002 streaming h264 in its device status", func() bool {
		d := camera("cam-0002")
		return d.State == devices.Online && d.Telemetry["rtsp_state"] == "streaming" && d.Telemetry["rtsp_codec"] == "h264" &&
			d.Telemetry["rtp_up"] == true
	})
	lowFPS := regexp.MustCompile(`device=cam-0004 event=stream.degraded data="map\[.*min_fps_threshold:100 reason:low_fps`)
	testsvc.Eventually(t, 60*time.Second, "cam-0003's stream alarm, and cam-0004's under its own min_fps", func() bool {
		return len(s.alarmsOf("stream_degraded", "cam-0003")) > 0 && lowFPS.MatchString(s.logs.String())
	})
	if len(s.alarmsOf("stream_degraded", "cam-0002")) > 0 {
		t.Errorf("cam-0002 (no thresholds of its own) has a stream alarm")
	}
	logs := s.logs.String()
	if !strings.Contains(logs, "unauthorized") || !strings.Contains(logs, "cam-0003") {
		t.Errorf("no log line says cam-0003's login was refused")
	}
	for _, secretText := range []string{secret, wrong} {
		if strings.Contains(logs, secretText) {
			t.Errorf("a password is in the gateway's log")
		}
	}
}
