package rtpstream_test

import (
	"net"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/rtpstream"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// telemetryState is the rtp_state of the last telemetry sample the sink
// got, and when it was taken.
func (r *recorder) telemetryState() (string, int64) {
	t, ok := r.lastTelemetry()
	if !ok {
		return "", 0
	}
	s, _ := t.Fields["rtp_state"].(string)
	return s, t.TS
}

func (r *recorder) find(typ string) (event.Event, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range r.evs {
		if ev.Type == typ {
			return ev, true
		}
	}
	return event.Event{}, false
}

// TestStateChangeRefreshesTelemetry: the stream state the device list
// shows comes from the driver's telemetry; a change of state (video.loss,
// then the stream restored) hands the sink a fresh sample at once, not
// at the next periodic one (every 10 s by default, an hour here).
func TestStateChangeRefreshesTelemetry(t *testing.T) {
	rec := &recorder{}
	l, err := rtpstream.New(rtpstream.Config{Device: "cam-0007", Listen: "127.0.0.1:0", Check: 50 * time.Millisecond,
		TelemetryEvery: time.Hour, Thresholds: rtpstream.Thresholds{Silence: 300 * time.Millisecond, Hold: 100 * time.Millisecond}},
		rec, rtpstream.Options{})
	if err != nil {
		t.Fatal(err)
	}
	run(t, l)
	c, err := net.Dial("udp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	seq := uint16(1)
	stream := func(what string, until func() bool) {
		t.Helper()
		testsvc.Eventually(t, 20*time.Second, what, func() bool {
			send(t, c, rtpPacket(t, seq))
			seq++
			return until()
		})
	}
	stream("the stream up", func() bool { return l.Status().State == rtpstream.StateUp })
	// Silence: video.loss, and with it a sample that says so.
	testsvc.Eventually(t, 20*time.Second, "video.loss", func() bool { _, ok := rec.find(event.VideoLoss); return ok })
	loss, _ := rec.find(event.VideoLoss)
	testsvc.Eventually(t, 10*time.Second, "telemetry saying lost", func() bool {
		st, ts := rec.telemetryState()
		return st == string(rtpstream.StateLost) && ts >= loss.TS
	})
	// Packets again: restored, and a sample that says up.
	stream("stream.restored", func() bool { return rec.has("stream.restored") })
	testsvc.Eventually(t, 10*time.Second, "telemetry saying up", func() bool {
		st, _ := rec.telemetryState()
		return st == string(rtpstream.StateUp)
	})
}
