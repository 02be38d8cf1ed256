package registry

import (
	"net"
)

// RTP says where a camera's RTP/H.264 video arrives and, optionally, how
// strict the gateway is about it. A camera pulled over RTSP gives no
// Listen, only thresholds. A threshold left out (0) keeps the
// stream-health driver's default (drivers/rtpstream): loss 2 %, jitter
// 50 ms, frame rate not judged.
type RTP struct {
	Listen string `yaml:"listen" json:"listen"`
	// LossPct is the packet loss over the health window, in percent, above
	// which the stream is degraded.
	LossPct float64 `yaml:"loss_pct,omitempty" json:"loss_pct,omitempty"`
	// JitterMS is the interarrival jitter, in milliseconds, above which the
	// stream is degraded.
	JitterMS float64 `yaml:"jitter_ms,omitempty" json:"jitter_ms,omitempty"`
	// MinFPS is the frame rate below which a flowing stream is degraded.
	MinFPS float64 `yaml:"min_fps,omitempty" json:"min_fps,omitempty"`
}

// rtpLimits are the ranges the RTP thresholds may take; each must be above
// 0 (leave it out for the default).
var rtpLimits = []struct {
	key string
	max float64
	get func(*RTP) float64
}{
	{"rtp.loss_pct", 100, func(r *RTP) float64 { return r.LossPct }},
	{"rtp.jitter_ms", 10_000, func(r *RTP) float64 { return r.JitterMS }},
	{"rtp.min_fps", 1000, func(r *RTP) float64 { return r.MinFPS }},
}

// checkRTP checks a camera's rtp: a host:port to listen on (none for a
// camera pulled over rtsp, whose listener the gateway binds on loopback),
// and each threshold given within its range.
func (d *decoder) checkRTP(r *RTP, s *spot, pulled bool) {
	if (!pulled || s.has("rtp.listen")) && d.required(s, "rtp.listen", r.Listen) && s.good("rtp.listen") {
		if _, port, err := net.SplitHostPort(r.Listen); err != nil || port == "" {
			d.add(s.lineOf("rtp.listen"), s.subject, "rtp.listen %q: want host:port", r.Listen)
		}
	}
	for _, l := range rtpLimits {
		if v := l.get(r); s.good(l.key) && !(v > 0 && v <= l.max) {
			d.add(s.lineOf(l.key), s.subject, "%s %v out of range: want above 0 and at most %v (leave it out for the default)", l.key, v, l.max)
		}
	}
}
