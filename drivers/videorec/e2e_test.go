package videorec_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/h264"
	"github.com/gridwatch/gridwatch/drivers/rtpstream"
	"github.com/gridwatch/gridwatch/drivers/videorec"
	"github.com/gridwatch/gridwatch/gateway/edge/edgetest"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

var _ rtpstream.VideoSink = (*videorec.Recorder)(nil)

// ffmpegCamera is a camera's listener whose recorder keeps a 10 s ring,
// both registered with reg and running until the test ends, and an
// ffmpeg (not yet started) that sends it H.264 over RTP; its Start waits
// for the first picture in the ring.
func ffmpegCamera(t *testing.T, device string, reg prometheus.Registerer) (*rtpstream.Listener, *videorec.Recorder, *testsvc.Process) {
	t.Helper()
	testsvc.FFmpeg(t)
	rec, err := videorec.New(videorec.Config{Device: device, Ring: 10 * time.Second}, videorec.Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	l, err := rtpstream.New(rtpstream.Config{Device: device, Listen: "127.0.0.1:0"}, &edgetest.Collector{},
		rtpstream.Options{Video: rec, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-l.Ready()
	ff := testsvc.FFmpegRTP(t, l.Addr().String(), func(context.Context) error {
		if rec.Status().Frames == 0 {
			return errors.New("no picture in the ring yet")
		}
		return nil
	})
	return l, rec, ff
}

// TestFFmpegToClip is the whole path with an independent sender and an
// independent judge: ffmpeg sends H.264 over RTP (25 fps, a keyframe a
// second) to a camera's listener, whose recorder keeps a 10 s ring; a
// press asks for 5 s before and 7 s after (longer than the ring), and
// ffmpeg is stopped and started again (a camera that reconnects, new
// SSRC) in the post-roll. ffprobe reads the clip: H.264, decodable,
// first frame a keyframe, about 12 s long, the press inside it.
func TestFFmpegToClip(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	l, rec, ff := ffmpegCamera(t, "cam-0001", reg)
	ff.Start()
	testsvc.Eventually(t, 60*time.Second, "6 s of video in the ring", func() bool { return rec.Status().Span >= 6*time.Second })
	vs := l.Status().Video
	t.Logf("video: %+v; ring %+v", vs, rec.Status())
	if vs.Codec != h264.CodecH264 || vs.KeyframeInterval < 900*time.Millisecond || vs.KeyframeInterval > 1100*time.Millisecond ||
		vs.DroppedUnits != 0 || vs.Keyframes < 5 {
		t.Errorf("video status %+v, want h264 with a keyframe a second, nothing dropped", vs)
	}

	press := time.Now()
	path := filepath.Join(t.TempDir(), "clip.mp4")
	type result struct {
		res videorec.ClipResult
		err error
	}
	got := make(chan result, 1)
	go func() {
		res, err := rec.Clip(context.Background(), videorec.ClipRequest{At: press, Pre: 5 * time.Second, Post: 7 * time.Second, Path: path})
		got <- result{res, err}
	}()
	time.Sleep(2 * time.Second)
	ff.Stop()
	ff.Start() // waits until the new session's pictures reach the ring
	r := <-got
	ready := time.Since(press.Add(7 * time.Second))
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Logf("clip %+v, ready %v after the post-roll ended", r.res, ready)
	if l.Status().SSRCChanges != 1 {
		t.Errorf("ssrc changes %d, want 1", l.Status().SSRCChanges)
	}
	if press.Before(r.res.Start) || press.After(r.res.End) {
		t.Errorf("press %v outside %v–%v", press, r.res.Start, r.res.End)
	}
	testsvc.LintGathered(t, reg) // promtool check metrics, codec_info included
	p := testsvc.ProbeVideo(t, path)
	if p.Codec != "h264" || !p.FirstKey || p.DecodeErr != "" {
		t.Fatalf("ffprobe: %+v", p)
	}
	// Within a GOP (1 s), plus the restart's wait for a keyframe.
	if p.Duration < 11 || p.Duration > 14 {
		t.Errorf("duration %.2f s, want ≈12", p.Duration)
	}
}
