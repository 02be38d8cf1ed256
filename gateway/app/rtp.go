package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/gridwatch/gridwatch/drivers/rtpstream"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/ingest"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// rtpCameras builds one RTP listener per registry camera with rtp.listen,
// at the driver's default thresholds or those the camera's rtp entry
// overrides, reporting through one rtpSink. Like the serial buses,
// listeners follow the registry as it was at start.
func (a *App) rtpCameras(ctx context.Context, p *parts) ([]*rtpstream.Listener, error) {
	sink := &rtpSink{ctx: ctx, now: p.clock.Now, journal: p.journal, devices: liveDevices{p.tracker, p.pipe}, reg: a.reg.Get,
		log: a.log.With("component", "rtp")}
	if p.telemetry != nil { // not a typed nil in the interface
		sink.history = p.telemetry
	}
	var out []*rtpstream.Listener
	for _, d := range a.reg.Get().Devices() {
		if d.RTP == nil || d.RTP.Listen == "" {
			continue
		}
		l, err := rtpstream.New(rtpConfig(d.ID, d.RTP), sink,
			rtpstream.Options{Logger: a.log.With("component", "rtp"), Registerer: a.metrics}) // the listener adds device
		if err != nil {
			return nil, a.errf("camera %s: %w", d.ID, err)
		}
		out = append(out, l)
	}
	return out, nil
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

// rtpSink takes what the RTP listeners judge. Events are journaled like
// any accepted event (durable first, then the rules), but they are the
// gateway's judgement, not the camera's word, so they are no sign of
// life. Telemetry goes where MQTT telemetry goes (device status and
// InfluxDB); its Received is the last packet's arrival, so a camera
// counts as alive while its video flows and not while it is silent.
type rtpSink struct {
	ctx     context.Context
	journal ingest.Journal
	devices liveDevices
	history ingest.TelemetrySink // nil without influx.url
	reg     func() *registry.Registry
	log     *slog.Logger
	now     func() time.Time // the gateway's clock
}

var _ rtpstream.Sink = (*rtpSink)(nil)

func (s *rtpSink) Event(ev event.Event) {
	if ev.Received == 0 {
		ev.Received = s.now().UnixMilli()
	}
	if ev.TS == 0 {
		ev.TS = ev.Received
	}
	if err := s.journal.Append(s.ctx, &ev); err != nil {
		s.log.Error("rtp event not journaled", "device", ev.Device, "type", ev.Type, "err", err)
	}
}

func (s *rtpSink) Telemetry(t event.Telemetry) {
	if t.Received != 0 { // 0: nothing ever arrived, which is no sign of life
		s.devices.Telemetry(t)
	}
	if s.history == nil {
		return
	}
	reg := s.reg()
	dev, ok := reg.Device(t.Device)
	if !ok {
		return // removed from the registry since start
	}
	grid, _ := reg.Grid(dev.Grid)
	s.history.Write(t, dev, grid)
}
