package app

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/gridwatch/gridwatch/drivers/modbus"
	"github.com/gridwatch/gridwatch/drivers/osdp"
	"github.com/gridwatch/gridwatch/drivers/serialline"
	"github.com/gridwatch/gridwatch/gateway/access"
	"github.com/gridwatch/gridwatch/gateway/edge"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// serialBus is one RS-485 line: its driver and the queue of rule commands
// for its devices, run together.
type serialBus struct {
	name    string
	run     func(ctx context.Context) error // the driver and its command queue
	devices []string
	cmds    *commandQueue
}

// serialBuses builds one bus per serial port the registry names: OSDP
// readers (osdp: {port, address}) and Modbus RTU I/O modules (modbus:
// {port, unit, profile}) each grouped by port, with the port's line
// settings from the registry's buses (the drivers' defaults for a port
// without an entry) and the site's Modbus profiles, each reporting through
// the edge of its protocol. Each bus is attached to the pipeline's command
// routes, so that rule commands reach its devices. Buses follow the
// registry as it was at start; a reload that adds a port or changes its
// settings needs a restart.
func (a *App) serialBuses(reg *registry.Registry, osdpSink, modbusSink edge.Sink, routes *commandRouter) ([]*serialBus, error) {
	osdpPorts := map[string][]osdp.PDConfig{}
	modbusPorts := map[string][]modbus.UnitConfig{}
	for _, d := range reg.Devices() {
		if d.OSDP != nil {
			osdpPorts[d.OSDP.Port] = append(osdpPorts[d.OSDP.Port], osdp.PDConfig{Device: d.ID, Address: d.OSDP.Address,
				Format: d.OSDP.Format, Key: d.OSDP.Key, Provision: d.OSDP.Provision, Door: access.Door(d.OSDP.Door)})
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
		cfg := osdp.Config{Line: lineOf(reg, "osdp-"+filepath.Base(port), port), PDs: osdpPorts[port]}
		log := a.log.With("component", "osdp") // the driver adds bus=name itself
		b, err := osdp.New(cfg, osdpSink, osdp.Options{Logger: log, Registerer: a.metrics, Decider: access.List{Registry: a.reg.Get}})
		if err != nil {
			return nil, a.errf("osdp bus %s: %w", port, err)
		}
		sb := &serialBus{name: cfg.Name, cmds: newCommandQueue(cfg.Name, b.Command, cm, log.With("bus", cfg.Name))}
		for _, pd := range cfg.PDs {
			sb.devices = append(sb.devices, pd.Device)
		}
		sb.run = sb.runWith(b.Run)
		buses = append(buses, sb)
	}
	for _, port := range sortedKeys(modbusPorts) {
		units := modbusPorts[port]
		cfg := modbus.Config{Line: lineOf(reg, "modbus-"+filepath.Base(port), port), Units: units, Profiles: modbusProfiles(reg, units)}
		log := a.log.With("component", "modbus") // the driver adds bus=name itself
		b, err := modbus.New(cfg, modbusSink, modbus.Options{Logger: log, Registerer: a.metrics})
		if err != nil {
			return nil, a.errf("modbus bus %s: %w", port, err)
		}
		sb := &serialBus{name: cfg.Name, cmds: newCommandQueue(cfg.Name, b.Command, cm, log.With("bus", cfg.Name))}
		for _, u := range cfg.Units {
			sb.devices = append(sb.devices, u.Device)
		}
		sb.run = sb.runWith(b.Run)
		buses = append(buses, sb)
	}
	routes.attach(buses)
	return buses, nil
}

// lineOf is the line settings of port from the registry's buses entry,
// key for key (zero, the driver's defaults, without an entry).
func lineOf(reg *registry.Registry, name, port string) serialline.Line {
	l := serialline.Line{Name: name, Port: port}
	if b, ok := reg.Bus(port); ok {
		l.Baud, l.Parity, l.StopBits = b.Baud, serialline.Parity(b.Parity), b.StopBits
		l.PollInterval, l.ReplyTimeout = b.PollInterval, b.ReplyTimeout
	}
	return l
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

// String names the bus in logs.
func (b *serialBus) String() string { return fmt.Sprintf("serial bus %s", b.name) }
