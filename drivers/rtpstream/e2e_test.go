package rtpstream_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/rtpstream"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestFFmpegStream receives H.264 over RTP from ffmpeg, an independent
// sender, stops it and starts it again: the stream is counted without
// loss at a plausible rate, its silence raises video.loss and
// stream.degraded, and the new session restores it.
func TestFFmpegStream(t *testing.T) {
	testsvc.FFmpeg(t) // skip (or fail) first if there is none
	rec := &recorder{}
	reg := prometheus.NewPedanticRegistry()
	l, err := rtpstream.New(rtpstream.Config{
		Device: "cam-0001", Listen: "127.0.0.1:0", Check: 200 * time.Millisecond, TelemetryEvery: time.Second,
		Thresholds: rtpstream.Thresholds{Window: 5 * time.Second, Silence: 2 * time.Second, Hold: 2 * time.Second},
	}, rec, rtpstream.Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	run(t, l)
	ff := testsvc.FFmpegRTP(t, l.Addr().String(), func(context.Context) error {
		if l.Status().Received == 0 {
			return errors.New("no RTP packet received yet")
		}
		return nil
	})
	ff.Start()
	// 7 s of video fills the 5 s window.
	testsvc.Eventually(t, 30*time.Second, "7 s of video (175 frames) received", func() bool {
		return l.Status().Frames >= 175
	})
	st := l.Status()
	t.Logf("from ffmpeg: %d packets, %d frames, %.1f fps, %.0f kbit/s, jitter %v, loss %.2f %%, ssrc %08x",
		st.Received, st.Frames, st.FPS, st.BitrateBPS/1000, st.Jitter, st.LossPct, st.SSRC)
	if st.State != rtpstream.StateUp {
		t.Errorf("state %s (%s), want up; events %v", st.State, st.Reason, rec.events())
	}
	if st.Lost != 0 || st.Duplicates != 0 || st.MalformedTotal() != 0 {
		t.Errorf("lost %d duplicates %d malformed %v on loopback, want none", st.Lost, st.Duplicates, st.Malformed)
	}
	// ffmpeg -re paces at 25 fps; a busy machine may lag, never double.
	if st.FPS < 15 || st.FPS > 30 {
		t.Errorf("fps %.1f, want ≈25", st.FPS)
	}
	if st.BitrateBPS < 20e3 || st.BitrateBPS > 20e6 {
		t.Errorf("bitrate %.0f bit/s, not plausible for 320×240 H.264", st.BitrateBPS)
	}
	if len(rec.events()) != 0 {
		t.Errorf("events for a clean stream: %v", rec.events())
	}
	tel, ok := rec.lastTelemetry()
	if !ok {
		t.Fatal("no telemetry sample after 7 s (every 1 s)")
	}
	if tel.Device != "cam-0001" || tel.Fields["rtp_up"] != true || tel.Fields["rtp_packets"].(float64) <= 0 || tel.Received == 0 {
		t.Errorf("telemetry %+v", tel)
	}
	firstSSRC := st.SSRC

	ff.Stop()
	testsvc.Eventually(t, 20*time.Second, "video.loss after ffmpeg stopped", func() bool { return rec.has("video.loss:no_packets") })
	if got, want := rec.events(), []string{"video.loss:no_packets", "stream.degraded:no_packets"}; !slices.Equal(got, want) {
		t.Errorf("events after the sender stopped: %v, want %v", got, want)
	}
	if st := l.Status(); st.State != rtpstream.StateLost {
		t.Errorf("state %s, want lost", st.State)
	}

	ff.Start() // a new RTP session, as from a rebooted camera
	testsvc.Eventually(t, 30*time.Second, "stream.restored after ffmpeg started again", func() bool { return rec.has("stream.restored") })
	st = l.Status()
	if st.SSRC == firstSSRC || st.SSRCChanges != 1 {
		t.Errorf("ssrc %08x (first %08x), changes %d: want a new SSRC, one change", st.SSRC, firstSSRC, st.SSRCChanges)
	}
	if st.Lost != 0 || st.Jumps != 0 {
		t.Errorf("lost %d jumps %d across the restart, want none", st.Lost, st.Jumps)
	}
	if got, want := rec.events(), []string{"video.loss:no_packets", "stream.degraded:no_packets", "stream.restored"}; !slices.Equal(got, want) {
		t.Errorf("events: %v, want %v", got, want)
	}
}
