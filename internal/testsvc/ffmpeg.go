package testsvc

import (
	"context"
	"os"
	"testing"
)

// Process is a helper process of a test that is not a server, such as
// ffmpeg sending a stream: Start runs it and waits until the test's ready
// check passes, Stop ends it (SIGTERM, then SIGKILL). It is stopped when
// the test ends, and its output is shown if the test fails.
type Process struct{ d *daemon }

// Start runs the process (again, after Stop) and waits until ready says
// it does its work.
func (p *Process) Start() { p.d.t.Helper(); p.d.start() }

// Stop ends the process; it does nothing if it is not running.
func (p *Process) Stop() { p.d.t.Helper(); p.d.stop() }

// FFmpeg returns the path of ffmpeg ($GRIDWATCH_FFMPEG, else ffmpeg on
// PATH), or ends the test like a missing service does.
func FFmpeg(t testing.TB) string {
	t.Helper()
	return binaryOrSkip(t, "ffmpeg", "install it with scripts/test-deps.sh (or apt-get install ffmpeg)",
		os.Getenv("GRIDWATCH_FFMPEG"), "ffmpeg", "/usr/bin/ffmpeg")
}

// FFmpegRTP prepares, without starting, an independent RTP sender: ffmpeg
// encoding its 320×240, 25 fps test pattern with libx264 (ultrafast,
// zerolatency, one keyframe a second) in real time and sending it as
// H.264 over RTP/UDP to addr (host:port). Each start is a new RTP session
// (new SSRC and numbering), as a rebooted camera's would be. ready tells
// Start when the receiver has the stream; it is polled until it returns
// nil.
func FFmpegRTP(t testing.TB, addr string, ready func(ctx context.Context) error) *Process {
	t.Helper()
	bin := FFmpeg(t)
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "warning",
		"-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
		"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-pix_fmt", "yuv420p",
		"-f", "rtp", "rtp://" + addr}
	return &Process{d: newDaemon(t, "ffmpeg", bin, t.TempDir(), args, ready)}
}
