package videorec_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/videorec"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestInjectedStreamNotInTheClip: a camera (ffmpeg, 25 fps) streams to
// its listener; a second ffmpeg starts sending its own stream to the same
// port. The second one's packets are counted as foreign and dropped, the
// camera's stream keeps its SSRC, and an evidence clip of the intrusion
// holds the camera's 25 pictures a second only (the two mixed would be
// about 50), decoding cleanly from a keyframe.
func TestInjectedStreamNotInTheClip(t *testing.T) {
	l, rec, camera := ffmpegCamera(t, "cam-0003", prometheus.NewPedanticRegistry())
	camera.Start()
	testsvc.Eventually(t, 60*time.Second, "3 s of video in the ring", func() bool { return rec.Status().Span >= 3*time.Second })
	ssrc := l.Status().SSRC

	intruder := testsvc.FFmpegRTP(t, l.Addr().String(), func(context.Context) error {
		if st := l.Status(); st.Foreign == 0 && st.SSRCChanges == 0 { // dropped, or (wrongly) taken
			return errors.New("no packet of the intruder yet")
		}
		return nil
	})
	intruder.Start()
	time.Sleep(3 * time.Second) // both sending
	path := filepath.Join(t.TempDir(), "clip.mp4")
	res, err := rec.Clip(context.Background(), videorec.ClipRequest{At: time.Now(), Pre: 4 * time.Second, Post: time.Second, Path: path})
	if err != nil {
		t.Fatal(err)
	}
	st := l.Status()
	t.Logf("clip %+v; stream: ssrc %08x changes %d foreign %d, %.1f fps", res, st.SSRC, st.SSRCChanges, st.Foreign, st.FPS)
	if st.SSRC != ssrc || st.SSRCChanges != 0 || st.Foreign < 25 {
		t.Errorf("ssrc %08x (camera's %08x) changes %d foreign %d: want the camera's, none, the intruder's packets counted",
			st.SSRC, ssrc, st.SSRCChanges, st.Foreign)
	}
	p := testsvc.ProbeVideo(t, path)
	if p.Codec != "h264" || !p.FirstKey || p.DecodeErr != "" || p.Duration < 3 {
		t.Fatalf("ffprobe: %+v", p)
	}
	// ffmpeg -re paces at 25 fps; a busy machine may lag, never double.
	if fps := float64(p.Frames) / p.Duration; fps > 30 {
		t.Errorf("the clip has %d frames in %.2f s (%.1f fps): the intruder's pictures are in it", p.Frames, p.Duration, fps)
	}
}
