package rtpstream

import "time"

// State is a stream's health as judged last.
type State string

// The states a stream can be in.
const (
	StateWaiting  State = "waiting"  // nothing received yet, not silent for long
	StateUp       State = "up"       // flowing and healthy
	StateDegraded State = "degraded" // flowing, but loss or jitter too high or too few frames (or recovering)
	StateLost     State = "lost"     // no packets for Thresholds.Silence
)

// Reasons a stream is degraded, as in stream.degraded's data.reason.
const (
	ReasonLoss      = "loss"
	ReasonJitter    = "jitter"
	ReasonFPS       = "low_fps"
	ReasonNoPackets = "no_packets"
)

// window is what the listener measured over the last Thresholds.Window.
type window struct {
	heard      bool          // any packet ever
	silent     time.Duration // since the last packet (or since start if none)
	lossPct    float64
	lossJudged bool // enough packets expected in the window to judge loss
	expected   int64
	jitter     time.Duration
	bitrate    float64 // bits per second
	fps        float64
	fpsJudged  bool // the stream has flowed for a whole window
}

// verdict is one change the judge decided on: an event type and why.
type verdict struct {
	typ    string
	reason string        // for stream.degraded: loss, jitter, no_packets
	after  string        // for stream.restored: the reason it had been degraded
	lasted time.Duration // for stream.restored: how long it was degraded
}

// judge turns windows into state changes, with hysteresis: degraded above
// the thresholds, restored only after Hold at or below the clear levels.
// It reads no clock; now is an input.
type judge struct {
	th        Thresholds
	state     State
	reason    string    // why degraded or lost
	badSince  time.Time // when it left StateUp (or StateWaiting)
	goodSince time.Time // zero while not healthy
}

func newJudge(th Thresholds) judge { return judge{th: th, state: StateWaiting} }

// step judges one window at now and returns the events to emit, if any.
func (j *judge) step(now time.Time, w window) []verdict {
	if w.silent >= j.th.Silence {
		if j.state == StateLost {
			return nil
		}
		out := []verdict{{typ: typeVideoLoss, reason: ReasonNoPackets}}
		if j.state != StateDegraded {
			out = append(out, verdict{typ: typeDegraded, reason: ReasonNoPackets})
			j.badSince = now
		}
		j.state, j.reason, j.goodSince = StateLost, ReasonNoPackets, time.Time{}
		return out
	}
	if !w.heard {
		return nil // waiting for the first packet
	}
	reason := j.bad(w)
	switch j.state {
	case StateWaiting, StateUp:
		if reason == "" {
			j.state = StateUp
			return nil
		}
		j.state, j.reason, j.badSince, j.goodSince = StateDegraded, reason, now, time.Time{}
		return []verdict{{typ: typeDegraded, reason: reason}}
	default: // degraded or lost, and packets are flowing
		j.state = StateDegraded
		if !j.healthy(w) {
			j.goodSince = time.Time{}
			return nil
		}
		if j.goodSince.IsZero() {
			j.goodSince = now
		}
		if now.Sub(j.goodSince) < j.th.Hold {
			return nil
		}
		v := verdict{typ: typeRestored, after: j.reason, lasted: now.Sub(j.badSince)}
		j.state, j.reason, j.badSince, j.goodSince = StateUp, "", time.Time{}, time.Time{}
		return []verdict{v}
	}
}

// bad says why w is over a threshold, or "" if it is not.
func (j *judge) bad(w window) string {
	switch {
	case w.lossJudged && w.lossPct > j.th.LossPct:
		return ReasonLoss
	case w.jitter > j.th.Jitter:
		return ReasonJitter
	case j.lowFPS(w):
		return ReasonFPS
	}
	return ""
}

// healthy says whether w is at or below the clear levels.
func (j *judge) healthy(w window) bool {
	return (!w.lossJudged || w.lossPct <= j.th.LossClearPct) && w.jitter <= j.th.JitterClear && !j.lowFPS(w)
}

// lowFPS says whether w's frame rate is judged and under MinFPS.
func (j *judge) lowFPS(w window) bool {
	return j.th.MinFPS > 0 && w.fpsJudged && w.fps < j.th.MinFPS
}
