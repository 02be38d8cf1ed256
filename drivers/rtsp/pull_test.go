package rtsp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/rtpstream"
	"github.com/gridwatch/gridwatch/drivers/rtsp"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/prometheus/client_golang/prometheus"
)

// metric returns the value of the gauge or counter name with labels, or
// -1 if there is none.
func metric(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			if m.Gauge != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	return -1
}

// TestInteropPullReconnects: GStreamer serves the clip over RTSP; the Puller's
// ffmpeg pulls it into the camera's RTP listener, which judges the stream
// up, and /metrics says so. The server is killed: the pull fails and the
// stream is lost; the server comes back: the Supervisor's next ffmpeg
// gets the stream again.
func TestInteropPullReconnects(t *testing.T) {
	testsvc.FFmpeg(t)
	srv := testsvc.GstRTSPServer(t, testsvc.RTSPServerOptions{Clip: clip})
	srv.Start()
	cam := startCamera(t, rtsp.Config{Device: "cam-0001", URL: srv.URL, Timeout: 3 * time.Second}, rtsp.Options{})
	dev := map[string]string{"device": "cam-0001"}
	testsvc.Eventually(t, 60*time.Second, "the pulled stream is up", func() bool {
		return cam.l.Status().State == rtpstream.StateUp && cam.p.Status().State == rtsp.StateStreaming
	})
	if st := cam.p.Status(); st.Codec != "h264" || st.Transport != "tcp" || st.Streams != 1 {
		t.Errorf("status %+v, want codec h264 over tcp, one stream", st)
	}
	if got := metric(t, cam.reg, "gridwatch_rtsp_up", dev); got != 1 {
		t.Errorf("gridwatch_rtsp_up = %v, want 1", got)
	}
	if got := metric(t, cam.reg, "gridwatch_rtp_stream_up", dev); got != 1 {
		t.Errorf("gridwatch_rtp_stream_up = %v, want 1", got)
	}
	if got := metric(t, cam.reg, "gridwatch_rtsp_codec_info", map[string]string{"codec": "h264"}); got != 1 {
		t.Errorf("gridwatch_rtsp_codec_info{codec=h264} = %v, want 1", got)
	}
	testsvc.LintGathered(t, cam.reg) // promtool check metrics
	// The camera's timing comes through ffmpeg: its keyframe a second
	// (by RTP timestamps) is seen as such, and the frame rate is its 25.
	testsvc.Eventually(t, 30*time.Second, "a keyframe interval of 1 s and 25 fps", func() bool {
		st := cam.l.Status()
		ki := st.Video.KeyframeInterval
		return ki > 900*time.Millisecond && ki < 1100*time.Millisecond && st.FPS > 20 && st.FPS < 30
	})

	testsvc.Eventually(t, 30*time.Second, "telemetry carries the pull's state", func() bool {
		_, tel := cam.sink.snapshot()
		for _, s := range tel {
			if s.Fields["rtsp_state"] == rtsp.StateStreaming && s.Fields["rtsp_codec"] == "h264" && s.Fields["rtp_state"] == "up" {
				return true
			}
		}
		return false
	})

	srv.Stop()
	testsvc.Eventually(t, 60*time.Second, "the pull fails and the stream is lost", func() bool {
		return cam.p.Status().State != rtsp.StateStreaming && cam.l.Status().State == rtpstream.StateLost
	})
	srv.Start()
	testsvc.Eventually(t, 90*time.Second, "the pull reconnects", func() bool {
		st := cam.p.Status()
		return st.State == rtsp.StateStreaming && st.Streams >= 2 && cam.l.Status().State == rtpstream.StateUp
	})
	if got := metric(t, cam.reg, "gridwatch_driver_restarts_total", map[string]string{"driver": "rtsp-cam-0001"}); got < 1 {
		t.Errorf("gridwatch_driver_restarts_total{driver=rtsp-cam-0001} = %v, want ≥ 1", got)
	}
}

// TestInteropRefusedLogin: a camera that refuses the login is a failure with the
// reason unauthorized in the Puller's status, /metrics, the log, and the
// camera's video.loss event, and the password is nowhere in them. The
// right password, given apart from the URL (as from env:), streams.
func TestInteropRefusedLogin(t *testing.T) {
	testsvc.FFmpeg(t)
	const secret, wrong = "s3cret-Pa55", "wr0ng-Pa55"
	srv := testsvc.GstRTSPServer(t, testsvc.RTSPServerOptions{Clip: clip, User: "admin", Password: secret})
	srv.Start()
	bad := strings.Replace(srv.URL, "rtsp://", "rtsp://admin:"+wrong+"@", 1)
	cam := startCamera(t, rtsp.Config{Device: "cam-0002", URL: bad, Timeout: 3 * time.Second}, rtsp.Options{})
	// The status is read while the pull is failed: the Supervisor
	// starts it again within a second (state connecting).
	var st rtsp.Status
	testsvc.Eventually(t, 60*time.Second, "the refused login is seen, in an event too", func() bool {
		evs, _ := cam.sink.snapshot()
		for _, ev := range evs {
			if ev.Type == event.VideoLoss && ev.Data["rtsp_reason"] == rtsp.ReasonUnauthorized {
				st = cam.p.Status()
				return st.State == rtsp.StateFailed && st.Failures[rtsp.ReasonUnauthorized] >= 2
			}
		}
		return false
	})
	if st.State != rtsp.StateFailed || st.Reason != rtsp.ReasonUnauthorized || !strings.Contains(st.Error, "401") {
		t.Errorf("status %+v, want failed, unauthorized, with ffmpeg's 401 line", st)
	}
	if got := metric(t, cam.reg, "gridwatch_rtsp_failures_total", map[string]string{"reason": "unauthorized"}); got < 2 {
		t.Errorf("gridwatch_rtsp_failures_total{reason=unauthorized} = %v, want ≥ 2", got)
	}
	cam.stop()
	logs := cam.log.String()
	if !strings.Contains(logs, "unauthorized") || !strings.Contains(logs, "admin:xxxxx@") {
		t.Errorf("log says nothing of the refused login:\n%s", logs)
	}
	for _, where := range []string{logs, st.URL, st.Error} {
		if strings.Contains(where, wrong) {
			t.Fatalf("the password leaked: %s", where)
		}
	}

	good := startCamera(t, rtsp.Config{Device: "cam-0003", URL: srv.URL, Username: "admin", Password: secret,
		Timeout: 3 * time.Second}, rtsp.Options{})
	testsvc.Eventually(t, 60*time.Second, "the right login streams", func() bool {
		return good.p.Status().State == rtsp.StateStreaming && good.l.Status().Frames > 25
	})
	good.stop()
	if logs := good.log.String(); strings.Contains(logs, secret) || !strings.Contains(logs, "admin:xxxxx@") {
		t.Errorf("want the URL logged with its password hidden:\n%s", logs)
	}
}

// TestInteropUnreachable: nothing listens at the camera's address, its path
// does not exist, its host name does not resolve, its port is out of
// range: clear reasons, and the pull keeps being retried.
func TestInteropUnreachable(t *testing.T) {
	testsvc.FFmpeg(t)
	srv := testsvc.GstRTSPServer(t, testsvc.RTSPServerOptions{Clip: clip})
	srv.Start()
	closed := testsvc.FreePort(t)
	for _, tc := range []struct {
		name, url, reason string
	}{
		{"refused", "rtsp://127.0.0.1:" + itoa(closed) + "/cam", rtsp.ReasonRefused},
		{"not found", strings.TrimSuffix(srv.URL, "/cam") + "/nope", rtsp.ReasonNotFound},
		{"no such host", "rtsp://camera.invalid/cam", rtsp.ReasonUnreachable},
		{"bad url", "rtsp://127.0.0.1:99999/cam", rtsp.ReasonBadURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cam := startCamera(t, rtsp.Config{Device: "cam-0004", URL: tc.url, Timeout: 2 * time.Second}, rtsp.Options{})
			testsvc.Eventually(t, 60*time.Second, "the pull failed twice for "+tc.reason, func() bool {
				return cam.p.Status().Failures[tc.reason] >= 2
			})
			cam.stop()
			if st := cam.p.Status(); st.Reason != tc.reason || st.Error == "" {
				t.Errorf("status %+v, want reason %s with ffmpeg's line", st, tc.reason)
			}
			if !strings.Contains(cam.log.String(), tc.reason) {
				t.Errorf("log does not say %s:\n%s", tc.reason, cam.log.String())
			}
		})
	}
}
