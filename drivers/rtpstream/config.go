package rtpstream

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// Config is one camera's RTP listener.
type Config struct {
	// Device is the registry id events, telemetry and metrics are reported
	// under.
	Device string `yaml:"device"`
	// Listen is the UDP host:port the camera sends to ("0.0.0.0:5004").
	Listen string `yaml:"listen"`
	// ClockRate is the RTP timestamp clock in Hz; 90000 (video) if zero.
	ClockRate int `yaml:"clock_rate"`
	// Check is how often the stream is judged; 1 s if zero.
	Check time.Duration `yaml:"check"`
	// TelemetryEvery is how often a telemetry sample is handed to the
	// sink; 10 s if zero.
	TelemetryEvery time.Duration `yaml:"telemetry_every"`
	// Thresholds judge the stream's health.
	Thresholds Thresholds `yaml:"thresholds"`
	// Codec is the video codec the camera sends ("h264" or "h265"), or
	// empty to tell from the packets.
	Codec string `yaml:"codec"`
}

// Thresholds say when a stream is degraded, lost and healthy again. A
// stream turns degraded above LossPct or Jitter and is restored only once
// it has stayed at or below LossClearPct and JitterClear for Hold, so a
// value hovering at a threshold raises one event, not a stream of them.
type Thresholds struct {
	// Window is the span loss, bitrate and frame rate are measured over;
	// 10 s if zero.
	Window time.Duration `yaml:"window"`
	// LossPct is the loss over Window above which the stream is degraded;
	// 2 (%) if zero.
	LossPct float64 `yaml:"loss_pct"`
	// LossClearPct is the loss at or below which it counts as healthy
	// again; half of LossPct if zero.
	LossClearPct float64 `yaml:"loss_clear_pct"`
	// MinPackets is how many packets Window must expect before loss is
	// judged at all (a trickle says little); 50 if zero.
	MinPackets int `yaml:"min_packets"`
	// Jitter is the interarrival jitter above which the stream is
	// degraded; 50 ms if zero.
	Jitter time.Duration `yaml:"jitter"`
	// JitterClear is the jitter at or below which it counts as healthy
	// again; 60 % of Jitter if zero.
	JitterClear time.Duration `yaml:"jitter_clear"`
	// MinFPS is the frame rate over Window below which a flowing stream
	// is degraded; 0 (the default) does not judge the frame rate, which
	// depends on how each camera is set up. It is judged once the stream
	// has flowed for a whole Window; at or above it counts as healthy
	// again (Hold is the hysteresis).
	MinFPS float64 `yaml:"min_fps"`
	// Silence is how long without a packet means the video is lost; 5 s
	// if zero.
	Silence time.Duration `yaml:"silence"`
	// Hold is how long a degraded or lost stream must stay healthy before
	// it is restored; 5 s if zero.
	Hold time.Duration `yaml:"hold"`
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.ClockRate == 0 {
		c.ClockRate = 90000
	}
	if c.Check == 0 {
		c.Check = time.Second
	}
	if c.TelemetryEvery == 0 {
		c.TelemetryEvery = 10 * time.Second
	}
	c.Thresholds = c.Thresholds.withDefaults()
	return c
}

// withDefaults returns t with zero fields set to their defaults.
func (t Thresholds) withDefaults() Thresholds {
	if t.Window == 0 {
		t.Window = 10 * time.Second
	}
	if t.LossPct == 0 {
		t.LossPct = 2
	}
	if t.LossClearPct == 0 {
		t.LossClearPct = t.LossPct / 2
	}
	if t.MinPackets == 0 {
		t.MinPackets = 50
	}
	if t.Jitter == 0 {
		t.Jitter = 50 * time.Millisecond
	}
	if t.JitterClear == 0 {
		t.JitterClear = t.Jitter * 6 / 10
	}
	if t.Silence == 0 {
		t.Silence = 5 * time.Second
	}
	if t.Hold == 0 {
		t.Hold = 5 * time.Second
	}
	return t
}

// maxFPS bounds Thresholds.MinFPS: no camera sends more frames a second.
const maxFPS = 1000

// Validate returns every problem of c (after defaults) at once.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Device == "" {
		bad("device: required")
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		bad("listen %q: want host:port", c.Listen)
	}
	if c.Codec != "" && c.Codec != "h264" && c.Codec != "h265" {
		bad("codec %q: want h264, h265 or empty (told from the packets)", c.Codec)
	}
	if c.ClockRate < 1000 || c.ClockRate > 1_000_000 {
		bad("clock_rate %d: want 1000..1000000 Hz", c.ClockRate)
	}
	if c.Check < 10*time.Millisecond {
		bad("check %v: want at least 10ms", c.Check)
	}
	if c.TelemetryEvery < c.Check {
		bad("telemetry_every %v: want at least check (%v)", c.TelemetryEvery, c.Check)
	}
	t := c.Thresholds
	if t.Window < c.Check {
		bad("thresholds.window %v: want at least check (%v)", t.Window, c.Check)
	}
	if t.LossPct < 0 || t.LossPct > 100 {
		bad("thresholds.loss_pct %v: want 0..100", t.LossPct)
	}
	if t.LossClearPct < 0 || t.LossClearPct > t.LossPct {
		bad("thresholds.loss_clear_pct %v: want 0..loss_pct (%v)", t.LossClearPct, t.LossPct)
	}
	if t.MinPackets < 0 {
		bad("thresholds.min_packets %d: want >= 0", t.MinPackets)
	}
	if t.Jitter < 0 || t.JitterClear < 0 || t.JitterClear > t.Jitter {
		bad("thresholds.jitter_clear %v: want 0..jitter (%v)", t.JitterClear, t.Jitter)
	}
	if t.MinFPS < 0 || t.MinFPS > maxFPS {
		bad("thresholds.min_fps %v: want 0..%v", t.MinFPS, maxFPS)
	}
	if t.Silence < c.Check {
		bad("thresholds.silence %v: want at least check (%v)", t.Silence, c.Check)
	}
	if t.Hold < 0 {
		bad("thresholds.hold %v: want >= 0", t.Hold)
	}
	if len(errs) > 0 {
		return fmt.Errorf("rtp listener %s: %w", c.Device, errors.Join(errs...))
	}
	return nil
}
