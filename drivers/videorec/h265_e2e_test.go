package videorec_test

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/h264"
	"github.com/gridwatch/gridwatch/drivers/rtpstream"
	"github.com/gridwatch/gridwatch/drivers/videorec"
	"github.com/gridwatch/gridwatch/gateway/edge/edgetest"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestFFmpegH265 has ffmpeg send H.265 (libx265) over RTP: the listener
// recognises it from the packets, raises one video.codec_unsupported,
// its status says h265, the recorder keeps nothing and a clip is refused
// as unsupported — never a mis-recorded H.264 file.
func TestFFmpegH265(t *testing.T) {
	ffmpeg := testsvc.FFmpeg(t)
	rec, err := videorec.New(videorec.Config{Device: "cam-0265"}, videorec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sink := &edgetest.Collector{}
	l, err := rtpstream.New(rtpstream.Config{Device: "cam-0265", Listen: "127.0.0.1:0", Check: 100 * time.Millisecond},
		sink, rtpstream.Options{Video: rec})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	<-l.Ready()
	ff := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-re",
		"-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-c:v", "libx265", "-preset", "ultrafast",
		"-x265-params", "log-level=error", "-g", "25", "-pix_fmt", "yuv420p", "-f", "rtp", "rtp://"+l.Addr().String())
	if err := ff.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = ff.Wait(); <-done })
	testsvc.Eventually(t, 60*time.Second, "3 s of H.265 received", func() bool { return l.Status().Received > 0 && l.Status().Age < time.Second && l.Status().Frames >= 75 })
	st := l.Status()
	if st.Video.Codec != h264.CodecH265 || st.Video.AccessUnits > 1 {
		t.Errorf("video status %+v, want h265 and no H.264 pictures", st.Video)
	}
	testsvc.Eventually(t, 10*time.Second, "video.codec_unsupported", func() bool { return len(sink.Find("cam-0265", rtpstream.VideoCodecUnsupported)) > 0 })
	if evs := sink.Find("cam-0265", rtpstream.VideoCodecUnsupported); len(evs) != 1 || evs[0].Data["codec"] != "h265" {
		t.Errorf("events %+v, want one with codec h265", evs)
	}
	if rs := rec.Status(); rs.Frames != 0 || rs.Codec != h264.CodecH265 {
		t.Errorf("ring %+v, want empty, h265", rs)
	}
	path := filepath.Join(t.TempDir(), "clip.mp4")
	if _, err := rec.Clip(context.Background(), videorec.ClipRequest{At: time.Now(), Pre: time.Second, Post: time.Second, Path: path}); !errors.Is(err, videorec.ErrUnsupportedCodec) {
		t.Errorf("clip: %v, want ErrUnsupportedCodec", err)
	}
}
