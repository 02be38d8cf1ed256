package testsvc

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// RTSPServer is an independent RTSP server for tests: GStreamer's
// gst-rtsp-server (Debian's gir1.2-gst-rtsp-server-1.0, driven from
// Python by scripts/rtsp-server.py) serving a clip file in a loop at
// /cam, timestamped and paced at FPS frames a second as a camera sends
// it, optionally behind Basic authentication. (ffmpeg cannot serve RTSP:
// its "listen" mode only receives a published stream.)
type RTSPServer struct {
	*Process
	// URL is rtsp://127.0.0.1:PORT/cam, without credentials.
	URL string
	// Port is the server's TCP port; it stays the same across Stop and
	// Start, so a client can reconnect.
	Port int
}

// RTSPServerOptions set up an RTSPServer.
type RTSPServerOptions struct {
	// Clip is an Annex-B elementary stream file (.h264 or .h265).
	Clip string
	// Codec is "h264" (default) or "h265".
	Codec string
	// FPS is the frame rate the clip is sent at (whatever its own
	// headers say); 25 if zero.
	FPS int
	// User and Password, when set, make the server require them (Basic).
	User, Password string
}

// GstRTSPServer prepares, without starting, an RTSP server of o.Clip. It
// skips the test (or fails it, with GRIDWATCH_REQUIRE_SERVICES=1) when
// Python's GStreamer bindings are not installed.
func GstRTSPServer(t testing.TB, o RTSPServerOptions) *RTSPServer {
	t.Helper()
	py := binaryOrSkip(t, "python3 with GStreamer's RTSP server",
		"install it with apt-get install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad",
		os.Getenv("GRIDWATCH_GST_PYTHON"), "/usr/bin/python3")
	if out, err := exec.Command(py, "-c", "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer").CombinedOutput(); err != nil {
		binaryOrSkip(t, "python3 with GStreamer's RTSP server",
			fmt.Sprintf("%s cannot load GstRtspServer (%v: %s); apt-get install python3-gi gir1.2-gst-rtsp-server-1.0", py, err, out))
	}
	if o.Codec == "" {
		o.Codec = "h264"
	}
	if o.FPS == 0 {
		o.FPS = 25
	}
	clip, err := filepath.Abs(o.Clip)
	if err != nil {
		t.Fatal(err)
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "scripts", "rtsp-server.py")
	dir := t.TempDir()
	port := FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ready := func(ctx context.Context) error {
		var d net.Dialer
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
	args := []string{script, fmt.Sprint(port), clip, o.Codec, fmt.Sprint(o.FPS), o.User, o.Password}
	return &RTSPServer{Process: &Process{d: newDaemon(t, "gst-rtsp-server", py, dir, args, ready)},
		URL: "rtsp://" + addr + "/cam", Port: port}
}
