package rtpstream

import (
	"fmt"
	"math"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Status is a snapshot of one camera's stream.
type Status struct {
	Device string
	// Listen is the address the listener is bound to (empty before Run).
	Listen string
	State  State
	// Reason is why the stream is degraded or lost; empty when up.
	Reason string
	// SSRC of the current stream, and how often it changed.
	SSRC        uint32
	SSRCChanges int64
	// Foreign counts RTP packets dropped because they came from another
	// source (address or SSRC) while the current one was streaming.
	Foreign int64
	// Cumulative over every SSRC since start. Received counts distinct
	// packets; Lost never decreases (a late packet does not take it back).
	Expected, Received, Lost, Duplicates, Reordered, Jumps, Bytes, Frames int64
	// Malformed datagrams by reason; RTCP counts RTCP multiplexed on the port.
	Malformed map[string]int64
	RTCP      int64
	// Over the last window: loss in percent, bits per second, frames per
	// second; Jitter is RFC 3550's smoothed interarrival jitter.
	LossPct    float64
	BitrateBPS float64
	FPS        float64
	Jitter     time.Duration
	// LastPacket is when the latest packet arrived (zero if none), From who
	// sent it.
	LastPacket time.Time
	From       string
	// Age is the time since the last packet (since start if none yet).
	Age time.Duration
	// Video is what the payloads tell: codec, pictures, keyframe interval.
	Video VideoStatus
}

// MalformedTotal is the sum of Malformed.
func (s Status) MalformedTotal() int64 {
	var n int64
	for _, v := range s.Malformed {
		n += v
	}
	return n
}

// status snapshots m at now.
func (m *monitor) status(device string, now time.Time) Status {
	c := m.total()
	st := Status{
		Device: device, State: m.judge.state, Reason: m.judge.reason, SSRCChanges: m.ssrcChanges, Foreign: m.foreign,
		Expected: c.expected, Received: c.received, Lost: m.lost(), Duplicates: c.duplicates,
		Reordered: c.reordered, Jumps: c.jumps, Bytes: c.bytes, Frames: c.frames,
		Malformed: make(map[string]int64, badReasons), RTCP: m.rtcp,
		LossPct: m.win.lossPct, BitrateBPS: m.win.bitrate, FPS: m.win.fps, Jitter: m.win.jitter,
		LastPacket: m.lastPacket, Age: now.Sub(m.started), Video: m.video.status(),
	}
	for i, r := range malformedReasons {
		st.Malformed[r] = m.malformed[i]
	}
	if m.cur != nil {
		st.SSRC = m.cur.ssrc
		st.From = m.lastFrom.String()
		st.Age = now.Sub(m.lastPacket)
	}
	return st
}

// events turns verdicts into gateway events at now.
func (m *monitor) events(device string, now time.Time, vs []verdict) []event.Event {
	if len(vs) == 0 {
		return nil
	}
	th := m.cfg.Thresholds
	out := make([]event.Event, 0, len(vs))
	for _, v := range vs {
		data := map[string]any{
			"loss_pct":     round2(m.win.lossPct),
			"jitter_ms":    round2(ms(m.win.jitter)),
			"bitrate_kbps": round2(m.win.bitrate / 1000),
			"fps":          round2(m.win.fps),
			"window_s":     th.Window.Seconds(),
		}
		switch v.typ {
		case typeDegraded:
			data["reason"] = v.reason
			data["loss_threshold_pct"] = th.LossPct
			data["jitter_threshold_ms"] = ms(th.Jitter)
			if th.MinFPS > 0 {
				data["min_fps_threshold"] = th.MinFPS
			}
		case typeVideoLoss:
			data["reason"] = v.reason
			data["silent_ms"] = m.win.silent.Milliseconds()
		case typeRestored:
			data["after"] = v.after
			data["degraded_ms"] = v.lasted.Milliseconds()
		}
		if m.cur != nil {
			data["ssrc"] = fmt.Sprintf("%08x", m.cur.ssrc)
		}
		out = append(out, event.Event{Device: device, Type: v.typ, TS: now.UnixMilli(), Received: now.UnixMilli(),
			Source: event.SourceRTP, Data: data})
	}
	return out
}

// telemetry is the periodic sample at now. Received is when the last
// packet arrived (0 if none), so a silent camera is not taken for alive.
func (m *monitor) telemetry(device string, now time.Time) event.Telemetry {
	st := m.status(device, now)
	f := map[string]any{
		"rtp_state":               string(st.State),
		"rtp_up":                  st.State == StateUp,
		"rtp_loss_pct":            round2(st.LossPct),
		"rtp_jitter_ms":           round2(ms(st.Jitter)),
		"rtp_bitrate_kbps":        round2(st.BitrateBPS / 1000),
		"rtp_fps":                 round2(st.FPS),
		"rtp_packets":             float64(st.Received),
		"rtp_expected_packets":    float64(st.Expected),
		"rtp_lost_packets":        float64(st.Lost),
		"rtp_duplicate_packets":   float64(st.Duplicates),
		"rtp_reordered_packets":   float64(st.Reordered),
		"rtp_malformed_packets":   float64(st.MalformedTotal()),
		"rtp_ssrc_changes":        float64(st.SSRCChanges),
		"rtp_keyframes":           float64(st.Video.Keyframes),
		"rtp_keyframe_interval_s": round2(st.Video.KeyframeInterval.Seconds()),
	}
	if st.Video.Codec != "" {
		f["rtp_codec"] = st.Video.Codec
	}
	t := event.Telemetry{Device: device, TS: now.UnixMilli(), Fields: f}
	if !st.LastPacket.IsZero() {
		f["rtp_since_last_ms"] = float64(now.Sub(st.LastPacket).Milliseconds())
		f["rtp_ssrc"] = fmt.Sprintf("%08x", st.SSRC)
		t.Received = st.LastPacket.UnixMilli()
	}
	return t
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func round2(v float64) float64 { return math.Round(v*100) / 100 }
