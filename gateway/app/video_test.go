package app_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/videorec"
	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestCameraRecorder runs the gateway with a camera whose RTP video
// ffmpeg sends: the camera's ring fills (gridwatch_video_ring_* in
// /metrics), its keyframe interval and codec show in /metrics and the
// device's telemetry, and the gateway finds its recorder by device id
// and writes a clip that ffprobe reads as H.264. A device without video
// has no recorder.
func TestCameraRecorder(t *testing.T) {
	ffmpeg := testsvc.FFmpeg(t)
	rtpAddr := "127.0.0.1:" + strconv.Itoa(freeUDPPort(t))
	s := startSite(t, siteOptions{mutate: func(cfg *config.Config) {
		reg := siteRegistry + "  - {id: cam-0001, kind: camera, grid: lh-g4-07, rtp: {listen: \"" + rtpAddr + "\"}}\n"
		if err := os.WriteFile(cfg.Registry, []byte(reg), 0o600); err != nil {
			t.Fatal(err)
		}
	}})
	ring := regexp.MustCompile(`(?m)^gridwatch_video_ring_seconds\{device="cam-0001"\} ([0-9.e+]+)$`)
	seconds := func() float64 {
		m := ring.FindStringSubmatch(s.metrics())
		if m == nil {
			return 0
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	ff := testsvc.FFmpegRTP(t, rtpAddr, func(context.Context) error {
		if seconds() == 0 {
			return errors.New("no video in cam-0001's ring yet")
		}
		return nil
	})
	ff.Start()
	testsvc.Eventually(t, 60*time.Second, "4 s of video in the ring", func() bool { return seconds() >= 4 })
	m := s.metrics()
	for _, want := range []string{
		`gridwatch_rtp_keyframe_interval_seconds{device="cam-0001"} 1`,
		`gridwatch_rtp_codec_info{codec="h264",device="cam-0001"} 1`,
		`gridwatch_video_clips_total{device="cam-0001",outcome="ok"} 0`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	testsvc.Eventually(t, 30*time.Second, "codec and keyframe interval in cam-0001's telemetry", func() bool {
		var list struct{ Devices []devices.Status }
		s.getJSON("/api/v1/devices", &list)
		for _, d := range list.Devices {
			if d.ID == "cam-0001" && d.Telemetry["rtp_codec"] == "h264" && d.Telemetry["rtp_keyframe_interval_s"] == 1.0 {
				return true
			}
		}
		return false
	})

	if _, ok := s.app.Recorder("lb-0001"); ok {
		t.Errorf("a light box has a recorder")
	}
	rec, ok := s.app.Recorder("cam-0001")
	if !ok {
		t.Fatal("no recorder for cam-0001")
	}
	dir := filepath.Join(s.cfg.DataDir, "clips")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cam-0001.mp4")
	res, err := rec.Clip(context.Background(), videorec.ClipRequest{At: time.Now(), Pre: 3 * time.Second, Post: time.Second, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(filepath.Dir(ffmpeg), "ffprobe"), "-v", "error", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "h264" || res.Frames < 50 {
		t.Errorf("clip %+v: ffprobe %q %v", res, out, err)
	}
	if !strings.Contains(s.metrics(), `gridwatch_video_clips_total{device="cam-0001",outcome="ok"} 1`) {
		t.Errorf("clip not counted")
	}
}

// TestCameraH265 runs the gateway with a camera that sends H.265 (ffmpeg,
// libx265): the gateway accepts its video.codec_unsupported event (the
// rtp edge's event count), the device's telemetry says h265, and a clip
// is refused as an unsupported codec, not mis-recorded.
func TestCameraH265(t *testing.T) {
	ffmpeg := testsvc.FFmpeg(t)
	rtpAddr := "127.0.0.1:" + strconv.Itoa(freeUDPPort(t))
	s := startSite(t, siteOptions{mutate: func(cfg *config.Config) {
		reg := siteRegistry + "  - {id: cam-0265, kind: camera, grid: lh-g4-07, rtp: {listen: \"" + rtpAddr + "\"}}\n"
		if err := os.WriteFile(cfg.Registry, []byte(reg), 0o600); err != nil {
			t.Fatal(err)
		}
	}})
	ctx, cancel := context.WithCancel(context.Background())
	ff := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-re",
		"-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-c:v", "libx265", "-preset", "ultrafast",
		"-x265-params", "log-level=error", "-g", "25", "-pix_fmt", "yuv420p", "-f", "rtp", "rtp://"+rtpAddr)
	if err := ff.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = ff.Wait() })
	events := regexp.MustCompile(`(?m)^gridwatch_ingest_messages_total\{kind="evt",transport="rtp"\} [1-9]`)
	testsvc.Eventually(t, 60*time.Second, "the rtp edge accepted cam-0265's event", func() bool {
		return events.MatchString(s.metrics())
	})
	if !strings.Contains(s.metrics(), `gridwatch_ingest_rejected_total{reason="bad_type",transport="rtp"} 0`) {
		t.Errorf("the rtp edge refused an event type")
	}
	if !strings.Contains(s.metrics(), `gridwatch_rtp_codec_info{codec="h265",device="cam-0265"} 1`) {
		t.Errorf("/metrics does not say h265")
	}
	testsvc.Eventually(t, 30*time.Second, "h265 in cam-0265's telemetry", func() bool {
		var list struct{ Devices []devices.Status }
		s.getJSON("/api/v1/devices", &list)
		for _, d := range list.Devices {
			if d.ID == "cam-0265" && d.Telemetry["rtp_codec"] == "h265" {
				return true
			}
		}
		return false
	})
	rec, ok := s.app.Recorder("cam-0265")
	if !ok {
		t.Fatal("no recorder for cam-0265")
	}
	_, err := rec.Clip(context.Background(), videorec.ClipRequest{At: time.Now(), Pre: time.Second, Post: time.Second,
		Path: filepath.Join(t.TempDir(), "x.mp4")})
	if !errors.Is(err, videorec.ErrUnsupportedCodec) {
		t.Errorf("clip: %v, want ErrUnsupportedCodec", err)
	}
}
