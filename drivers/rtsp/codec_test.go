package rtsp_test

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/rtsp"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestInteropUDPTransport: transport udp asks the camera for RTP over UDP; the
// stream flows as over TCP.
func TestInteropUDPTransport(t *testing.T) {
	testsvc.FFmpeg(t)
	srv := testsvc.GstRTSPServer(t, testsvc.RTSPServerOptions{Clip: clip})
	srv.Start()
	cam := startCamera(t, rtsp.Config{Device: "cam-0005", URL: srv.URL, Transport: rtsp.TransportUDP, Timeout: 3 * time.Second}, rtsp.Options{})
	testsvc.Eventually(t, 60*time.Second, "the stream flows over UDP", func() bool {
		return cam.p.Status().State == rtsp.StateStreaming && cam.l.Status().Frames > 50
	})
	if st := cam.p.Status(); st.Transport != "udp" || st.Codec != "h264" {
		t.Errorf("status %+v, want udp, h264", st)
	}
}

// TestInteropHEVCIsNamed: a camera sending H.265 is pulled (the RTP listener
// judges its stream) and its codec is named hevc, so the gateway can say
// it cannot record it instead of recording garbage.
func TestInteropHEVCIsNamed(t *testing.T) {
	ffmpeg := testsvc.FFmpeg(t)
	hevc := filepath.Join(t.TempDir(), "clip.h265")
	if out, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
		"-t", "2", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "keyint=25:repeat-headers=1:log-level=error",
		"-f", "hevc", hevc).CombinedOutput(); err != nil {
		t.Skipf("this ffmpeg cannot encode H.265 (%v): %s", err, out)
	}
	srv := testsvc.GstRTSPServer(t, testsvc.RTSPServerOptions{Clip: hevc, Codec: "h265"})
	srv.Start()
	cam := startCamera(t, rtsp.Config{Device: "cam-0006", URL: srv.URL, Timeout: 3 * time.Second}, rtsp.Options{})
	testsvc.Eventually(t, 60*time.Second, "the H.265 stream flows, named hevc", func() bool {
		return cam.p.Status().State == rtsp.StateStreaming && cam.p.Status().Codec == "hevc" && cam.l.Status().Frames > 25
	})
	if got := metric(t, cam.reg, "gridwatch_rtsp_codec_info", map[string]string{"codec": "hevc"}); got != 1 {
		t.Errorf("gridwatch_rtsp_codec_info{codec=hevc} = %v, want 1", got)
	}
}
