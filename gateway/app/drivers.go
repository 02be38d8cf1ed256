package app

import (
	"time"

	"github.com/gridwatch/gridwatch/drivers/rtpstream"
	"github.com/gridwatch/gridwatch/gateway/edge"
	"github.com/gridwatch/gridwatch/gateway/ingest"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// drivers builds every driver the registry names, each reporting through
// ingest's edge for its transport, under one supervisor that restarts a
// driver that fails: the serial buses (attached to the rule command
// routes), the cameras' RTP listeners, and the RTSP pulls that feed the
// listeners of the cameras the gateway pulls. Drivers follow the registry as
// it was at start.
func (a *App) drivers(in *ingest.Ingestor, routes *commandRouter) (*edge.Supervisor, error) {
	sup, err := edge.NewSupervisor(edge.Config{Logger: a.log.With("component", "drivers"), Registerer: a.metrics})
	if err != nil {
		return nil, a.errf("%w", err)
	}
	sinks := map[string]*ingest.Edge{}
	for _, t := range []string{ingest.TransportOSDP, ingest.TransportModbus, ingest.TransportRTP} {
		if sinks[t], err = in.Edge(t); err != nil {
			return nil, a.errf("%w", err)
		}
	}
	reg := a.reg.Get()
	if err := a.serialBuses(reg, sinks[ingest.TransportOSDP], sinks[ingest.TransportModbus], sup, routes); err != nil {
		return nil, err
	}
	for _, d := range reg.Devices() {
		if d.RTSP != nil && d.RTSP.URL != "" {
			if err := a.rtspCamera(d, sinks[ingest.TransportRTP], sup); err != nil { // rtsp.go
				return nil, err
			}
			continue
		}
		if d.RTP == nil || d.RTP.Listen == "" {
			continue
		}
		opts, err := a.rtpOptions(d.ID) // with the camera's recorder (video.go)
		if err != nil {
			return nil, err
		}
		l, err := rtpstream.New(rtpConfig(d.ID, d.RTP), sinks[ingest.TransportRTP], opts)
		if err != nil {
			return nil, a.errf("camera %s: %w", d.ID, err)
		}
		if err := sup.Add("rtp-"+d.ID, l); err != nil {
			return nil, a.errf("%w", err)
		}
	}
	return sup, nil
}

// rtpConfig is the listener config of camera id: its listen address and
// the thresholds its registry entry sets (0 leaves the driver's default).
// The clear levels follow a stricter raise level: the driver derives
// them from it.
func rtpConfig(id string, r *registry.RTP) rtpstream.Config {
	return rtpstream.Config{Device: id, Listen: r.Listen, Thresholds: rtpstream.Thresholds{
		LossPct: r.LossPct,
		Jitter:  time.Duration(r.JitterMS * float64(time.Millisecond)),
		MinFPS:  r.MinFPS,
	}}
}
