package testsvc

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestGstRTSPServerStreamsInRealTime: the test RTSP server sends its clip
// as a camera does, seen by ffprobe as the receiver: frames whose
// presentation timestamps advance one frame time (40 ms at 25 fps) each,
// so that 100 span about 4 s, arriving no faster than that — for H.264
// and H.265, at the frame rate asked for, across the clip's loop. (It once stamped every frame 0: a clip pulled from it was
// 247 frames in 0.25 s.)
func TestGstRTSPServerStreamsInRealTime(t *testing.T) {
	ffmpeg := FFmpeg(t)
	ffprobe := filepath.Join(filepath.Dir(ffmpeg), "ffprobe")
	hevc := filepath.Join(t.TempDir(), "clip.h265")
	if out, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
		"-t", "2", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "keyint=25:repeat-headers=1:log-level=error",
		"-f", "hevc", hevc).CombinedOutput(); err != nil {
		t.Fatalf("encoding an H.265 clip: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		codec, clip string
		fps, frames int
	}{
		{"h264", "../../firmware-sim/camera/testdata/clip.h264", 25, 100},
		{"h265", hevc, 25, 100},
		// 150 frames: across the loop (the clip has 100).
		{"h264", "../../firmware-sim/camera/testdata/clip.h264", 50, 150},
	} {
		t.Run(tc.codec+"@"+strconv.Itoa(tc.fps), func(t *testing.T) {
			srv := GstRTSPServer(t, RTSPServerOptions{Clip: tc.clip, Codec: tc.codec, FPS: tc.fps})
			srv.Start()
			frames := tc.frames
			began := time.Now()
			out, err := exec.Command(ffprobe, "-v", "error", "-rtsp_transport", "tcp", "-i", srv.URL,
				"-select_streams", "v:0", "-read_intervals", "%+#"+strconv.Itoa(frames),
				"-show_entries", "packet=pts_time", "-of", "csv=p=0").CombinedOutput()
			took := time.Since(began)
			if err != nil {
				t.Fatalf("ffprobe: %v\n%s", err, out)
			}
			// One pts a line; the first packet may have none (N/A), and
			// side data adds empty lines.
			var pts []float64
			for _, l := range strings.Fields(string(out)) {
				if v, err := strconv.ParseFloat(strings.TrimSuffix(l, ","), 64); err == nil {
					pts = append(pts, v)
				}
			}
			if len(pts) < frames*9/10 {
				t.Fatalf("%d timestamped packets of %d, want at least %d:\n%s", len(pts), frames, frames*9/10, out)
			}
			for i := 1; i < len(pts); i++ {
				if pts[i] <= pts[i-1] {
					t.Fatalf("pts %v after %v (packet %d): not advancing", pts[i], pts[i-1], i)
				}
			}
			frame := 1 / float64(tc.fps)
			span := pts[len(pts)-1] - pts[0]
			want := float64(len(pts)-1) * frame
			if span < want*0.95 || span > want*1.05 {
				t.Errorf("%d frames span %.3f s of pts, want %.3f s (%d fps)", len(pts), span, want, tc.fps)
			}
			// Arrival: the receiver cannot have them faster than real
			// time (allowing a GOP of slack). No upper bound: a busy
			// machine only makes it slower.
			if min := time.Duration((want - 1) * float64(time.Second)); took < min {
				t.Errorf("%d frames (%.3f s of video) arrived in %v, faster than real time", len(pts), want, took)
			}
			t.Logf("%s at %d fps: %d frames, pts span %.3f s, received in %v", tc.codec, tc.fps, len(pts), span, took.Round(time.Millisecond))
		})
	}
}
