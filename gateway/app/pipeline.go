package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/ingest"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/engine"
	"github.com/gridwatch/gridwatch/rules/escalate"
)

// pipeline takes durable events, in journal order, through the rules to
// the escalation desk. The journal calls feed from its commit path, one
// batch at a time, so the desk sees events in strictly increasing ID
// order and can keep "last applied ID" as its restart checkpoint.
//
// The engine has one owner at a time: mu serialises the journal's
// hand-off (the hot path), the supervision ticks, snapshots and admin
// changes. Signs of life that are not events (telemetry, presence, serial
// polls) arrive far more often; they do not take mu but wait in signs,
// latest per device, until the next tick hands them to the engine just
// before it looks for silent devices.
type pipeline struct {
	ctx     context.Context
	reg     func() *registry.Registry
	desk    *escalate.Desk
	tracker *devices.Tracker
	history history // nil: events are not written to InfluxDB
	// commands sends what rules ask devices to do (strobe, siren, clip).
	commands commander
	// back is told of each device the rules declare back online (nil:
	// nobody listens); broadcasts speak again to boxes that missed them.
	back func(device string)
	log  *slog.Logger
	// now is the gateway's clock (gateway/clock): supervision deadlines
	// and derived events' stamps do not move with the wall clock.
	now func() time.Time
	// evalSeconds times each decision of the rules on the alarm path.
	evalSeconds prometheus.Histogram

	mu     sync.Mutex
	engine *engine.Engine

	signMu sync.Mutex
	signs  map[string]time.Time // device → latest sign of life not yet handed over
}

func (p *pipeline) feed(batch []event.Event) {
	for _, ev := range batch {
		if err := p.apply(ev, false); err != nil {
			// Only a stopping gateway gets here; the event is in the
			// journal and is replayed at the next start.
			return
		}
	}
}

// apply evaluates one event and hands the desk what the rules made of it.
// A settled event is one replayed only to rebuild the rules' state: the
// desk already stored its effects, so its commands and its history are not
// sent again.
func (p *pipeline) apply(ev event.Event, settled bool) error {
	reg := p.reg()
	var triggers []event.Trigger
	if dev, ok := reg.Device(ev.Device); ok {
		grid, _ := reg.Grid(dev.Grid)
		p.mu.Lock()
		start := time.Now()
		triggers = p.engine.Evaluate(&ev, dev, grid)
		p.evalSeconds.Observe(time.Since(start).Seconds())
		p.mu.Unlock()
	} // else removed from the registry since it was journaled: nothing to decide
	if ev.Source == event.SourceGateway && (ev.Type == event.DeviceOffline || ev.Type == event.DeviceOnline) {
		p.tracker.Presence(event.Presence{Device: ev.Device, Online: ev.Type == event.DeviceOnline, At: ev.TS})
	}
	if err := p.desk.Submit(p.ctx, ev, triggers); err != nil {
		return fmt.Errorf("submit event %d: %w", ev.ID, err)
	}
	if settled {
		return nil
	}
	if p.back != nil && ev.Source == event.SourceGateway && ev.Type == event.DeviceOnline {
		p.back(ev.Device)
	}
	p.command(reg, ev, triggers)
	// After the rules, so history never stands in front of an alarm.
	if p.history != nil {
		if dev, ok := reg.Device(ev.Device); ok {
			grid, _ := reg.Grid(dev.Grid)
			if err := p.history.WriteEvent(ev, dev, grid); err != nil {
				p.log.Warn("event not written to history", "event", ev.ID, "err", err)
			}
		}
	}
	return nil
}

// commander sends one device command.
type commander interface {
	Send(c event.Command) (string, error)
}

// commandFreshness bounds how old an event may be for its rules'
// commands to go out: a strobe for a press replayed from the journal
// after a restart minutes later would only confuse.
const commandFreshness = 30 * time.Second

// command sends the device commands of the raises (after the desk has the
// alarm, so paging never waits on them): over MQTT, or to the serial bus of
// an OSDP reader or Modbus module (the router queues; it never blocks).
func (p *pipeline) command(reg *registry.Registry, ev event.Event, triggers []event.Trigger) {
	if p.commands == nil || p.now().Sub(time.UnixMilli(ev.Received)) > commandFreshness {
		return
	}
	for _, t := range triggers {
		for _, c := range t.Commands {
			if _, ok := reg.Device(c.Device); !ok {
				p.log.Info("rule command not sent: unknown device", "rule", t.Rule, "device", c.Device, "cmd", c.Cmd)
				continue
			}
			if _, err := p.commands.Send(c); err != nil {
				p.log.Warn("rule command not sent", "rule", t.Rule, "device", c.Device, "cmd", c.Cmd, "err", err)
			}
		}
	}
}

// history keeps events for dashboards (InfluxDB, through a spool).
type history interface {
	WriteEvent(ev event.Event, dev *registry.Device, grid *registry.Grid) error
}

// alive records a sign of life that is not an event (telemetry, presence).
func (p *pipeline) alive(id string, at time.Time) {
	if _, ok := p.reg().Device(id); !ok {
		return // not supervised; and signs stay bounded by the registry
	}
	p.signMu.Lock()
	defer p.signMu.Unlock()
	if p.signs == nil {
		p.signs = make(map[string]time.Time)
	}
	if at.After(p.signs[id]) {
		p.signs[id] = at
	}
}

// handOverSigns gives the engine the signs of life gathered since the
// last call. The caller holds mu.
func (p *pipeline) handOverSigns() {
	p.signMu.Lock()
	signs := p.signs
	p.signs = nil
	p.signMu.Unlock()
	if len(signs) == 0 {
		return
	}
	reg := p.reg()
	for id, at := range signs {
		if dev, ok := reg.Device(id); ok {
			p.engine.Alive(id, dev, at)
		}
	}
}

// supervise runs the engine's deadlines: every second (or sooner when one
// is due) it asks the engine which devices fell silent or spoke again, and
// journals those derived events; they come back through feed like any
// other, where the offline rule raises and clears its alarm.
func (p *pipeline) supervise(ctx context.Context, j ingest.Journal, log *slog.Logger) error {
	timer := time.NewTimer(time.Second)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
			now := p.now()
			p.mu.Lock()
			p.handOverSigns()
			derived := p.engine.Tick(now)
			next, ok := p.engine.NextDeadline()
			p.mu.Unlock()
			for i := range derived {
				ev := derived[i]
				ev.Source, ev.Received = event.SourceGateway, now.UnixMilli()
				if err := j.Append(ctx, &ev); err != nil {
					log.Error("derived event not journaled", "type", ev.Type, "device", ev.Device, "err", err)
				}
			}
			wait := time.Second
			if d := next.Sub(p.now()); ok && d < wait {
				wait = max(d, 10*time.Millisecond)
			}
			timer.Reset(wait)
		}
	}
}

// liveDevices is the device tracker as ingest sees it, also telling the
// rules of every sign of life that is not an event.
type liveDevices struct {
	*devices.Tracker
	pipe *pipeline
}

var _ ingest.Devices = liveDevices{}

func (l liveDevices) Telemetry(t event.Telemetry) {
	l.Tracker.Telemetry(t)
	l.pipe.alive(t.Device, time.UnixMilli(t.Received))
}

func (l liveDevices) Presence(p event.Presence) {
	l.Tracker.Presence(p)
	if p.Online {
		l.pipe.alive(p.Device, time.UnixMilli(p.At))
	}
}

// newEvalHistogram is gridwatch_rule_evaluation_seconds, from 1 µs up.
func newEvalHistogram(reg prometheus.Registerer) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "gridwatch_rule_evaluation_seconds",
		Help:    "Time the rules take to decide on one event.",
		Buckets: prometheus.ExponentialBuckets(1e-6, 4, 10), // 1 µs .. 0.26 s
	})
	reg.MustRegister(h)
	return h
}
