package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"time"

	"github.com/gridwatch/gridwatch/drivers/modbus"
	"github.com/gridwatch/gridwatch/drivers/osdp"
	"github.com/gridwatch/gridwatch/drivers/serialline"
	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/ingest"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// serialBus is one RS-485 line: its driver's owner goroutine, a view of
// which devices on it answered lately, and the queue of rule commands for
// its devices.
type serialBus struct {
	name    string
	run     func(ctx context.Context) error // the driver and its command queue
	alive   func() map[string]int64         // device → last reply (Unix ms) of the devices answering now
	devices []string
	cmds    *commandQueue
}

// serialBuses builds one bus per serial port the registry names: OSDP
// readers (osdp: {port, address}) and Modbus RTU I/O modules (modbus:
// {port, unit, profile}) each grouped by port, with the port's line
// settings from the registry's buses (the drivers' defaults for a port
// without an entry) and the site's Modbus profiles. Each bus is attached
// to the pipeline's command routes, so that rule commands reach its
// devices. Buses follow the registry as it was at start; a reload that
// adds a port or changes its settings needs a restart.
func (a *App) serialBuses(reg *registry.Registry, sink *serialSink, routes *commandRouter) ([]*serialBus, error) {
	osdpPorts := map[string][]osdp.PDConfig{}
	modbusPorts := map[string][]modbus.UnitConfig{}
	for _, d := range reg.Devices() {
		if d.OSDP != nil {
			osdpPorts[d.OSDP.Port] = append(osdpPorts[d.OSDP.Port], osdp.PDConfig{Device: d.ID, Address: d.OSDP.Address,
				Format: d.OSDP.Format, Key: d.OSDP.Key, Provision: d.OSDP.Provision, Door: osdpDoor(d.OSDP.Door)})
		}
		if d.Modbus != nil {
			profile := d.Modbus.Profile
			if profile == "" {
				profile = modbus.BuiltinProfile
			}
			modbusPorts[d.Modbus.Port] = append(modbusPorts[d.Modbus.Port], modbus.UnitConfig{Device: d.ID, Unit: d.Modbus.Unit, Profile: profile})
		}
	}
	cm, err := newCommandMetrics(a.metrics)
	if err != nil {
		return nil, a.errf("serial command metrics: %w", err)
	}
	var buses []*serialBus
	for _, port := range sortedKeys(osdpPorts) {
		name := "osdp-" + filepath.Base(port)
		cfg := osdpConfig(reg, name, port, osdpPorts[port])
		log := a.log.With("component", "osdp") // the driver adds bus=name itself
		b, err := osdp.New(cfg, sink, osdp.Options{Logger: log, Registerer: a.metrics, Decider: accessList{reg: a.reg.Get}})
		if err != nil {
			return nil, a.errf("osdp bus %s: %w", port, err)
		}
		sb := &serialBus{name: name, cmds: newCommandQueue(name, b.Command, cm, log.With("bus", name)), alive: func() map[string]int64 {
			out := map[string]int64{}
			for _, st := range b.Status() {
				if st.State == "online" {
					out[st.Device] = st.LastReply.UnixMilli()
				}
			}
			return out
		}}
		for _, pd := range cfg.PDs {
			sb.devices = append(sb.devices, pd.Device)
		}
		sb.run = sb.runWith(b.Run)
		buses = append(buses, sb)
	}
	for _, port := range sortedKeys(modbusPorts) {
		name := "modbus-" + filepath.Base(port)
		cfg := modbusConfig(reg, name, port, modbusPorts[port])
		log := a.log.With("component", "modbus") // the driver adds bus=name itself
		b, err := modbus.New(cfg, sink, modbus.Options{Logger: log, Registerer: a.metrics})
		if err != nil {
			return nil, a.errf("modbus bus %s: %w", port, err)
		}
		sb := &serialBus{name: name, cmds: newCommandQueue(name, b.Command, cm, log.With("bus", name)), alive: func() map[string]int64 {
			out := map[string]int64{}
			for _, st := range b.Status() {
				if st.Online {
					out[st.Device] = st.LastSeen
				}
			}
			return out
		}}
		for _, u := range cfg.Units {
			sb.devices = append(sb.devices, u.Device)
		}
		sb.run = sb.runWith(b.Run)
		buses = append(buses, sb)
	}
	routes.attach(buses)
	return buses, nil
}

// osdpConfig is the OSDP bus on port with its line settings from the
// registry (the driver's defaults without a buses entry).
func osdpConfig(reg *registry.Registry, name, port string, pds []osdp.PDConfig) osdp.Config {
	cfg := osdp.Config{Name: name, Port: port, PDs: pds}
	if lb, ok := reg.Bus(port); ok {
		cfg.Baud, cfg.Parity, cfg.PollInterval, cfg.ReplyTimeout = lb.Baud, serialline.Parity(lb.Parity), lb.PollInterval, lb.ReplyTimeout
	}
	return cfg
}

// modbusConfig is the Modbus bus on port with its line settings from the
// registry (the driver's defaults without a buses entry) and the site
// profiles its units use.
func modbusConfig(reg *registry.Registry, name, port string, units []modbus.UnitConfig) modbus.Config {
	cfg := modbus.Config{Name: name, Port: port, Units: units, Profiles: modbusProfiles(reg, units)}
	if lb, ok := reg.Bus(port); ok {
		cfg.Baud, cfg.Parity, cfg.StopBits = lb.Baud, serialline.Parity(lb.Parity), lb.StopBits
		cfg.Interval, cfg.Timeout = lb.PollInterval, lb.ReplyTimeout
	}
	return cfg
}

// modbusProfiles are the site profiles the units use, in the driver's
// terms.
func modbusProfiles(reg *registry.Registry, units []modbus.UnitConfig) map[string]modbus.Profile {
	out := map[string]modbus.Profile{}
	for _, u := range units {
		p, ok := reg.ModbusProfile(u.Profile)
		if !ok {
			continue // built in, or unknown (which the driver reports)
		}
		mp := modbus.Profile{Inputs: p.InputCount(), Outputs: map[string]modbus.Output{}}
		for _, e := range p.Edges {
			mp.Edges = append(mp.Edges, modbus.Edge{Input: e.Input, Rising: e.Rising, Falling: e.Falling})
		}
		for _, o := range p.Outputs {
			mp.Outputs[o.Cmd] = modbus.Output{Coil: o.Coil, Pulse: o.Pulse}
		}
		out[u.Profile] = mp
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// serialSink journals what the serial drivers report, like an MQTT event
// that was accepted: durable first, then the rules. The drivers call it
// from their bus goroutine, which waits for the fsync (about a
// millisecond) before it polls on.
type serialSink struct {
	ctx     context.Context
	journal ingest.Journal
	tracker *devices.Tracker
	log     *slog.Logger
	now     func() time.Time // the gateway's clock
}

var (
	_ osdp.Sink   = (*serialSink)(nil)
	_ modbus.Sink = (*serialSink)(nil)
)

func (s *serialSink) Event(ev event.Event) {
	if ev.Received == 0 {
		ev.Received = s.now().UnixMilli()
	}
	if ev.TS == 0 {
		ev.TS = ev.Received
	}
	if err := s.journal.Append(s.ctx, &ev); err != nil {
		s.log.Error("serial event not journaled", "device", ev.Device, "type", ev.Type, "err", err)
		return
	}
	if ev.Type != serialline.BusFault && ev.Type != serialline.BusRestored {
		// A bus event is reported under the bus's first device; it is
		// not that device speaking.
		s.tracker.Seen(ev.Device, ev.Received)
	}
}

// watch reports the devices that answer their bus's polls as alive every
// few seconds: a reader nobody swipes a card at is not silent as long as it
// answers.
func (b *serialBus) watch(ctx context.Context, pipe *pipeline, tracker *devices.Tracker) error {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			for id, ms := range b.alive() {
				if ms <= 0 {
					continue
				}
				pipe.alive(id, time.UnixMilli(ms))
				tracker.Seen(id, ms)
			}
		}
	}
}

// String names the bus in logs.
func (b *serialBus) String() string { return fmt.Sprintf("serial bus %s", b.name) }
