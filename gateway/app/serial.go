package app

import (
	"log/slog"
	"path/filepath"
	"sort"

	"github.com/gridwatch/gridwatch/drivers/modbus"
	"github.com/gridwatch/gridwatch/drivers/osdp"
	"github.com/gridwatch/gridwatch/drivers/serialline"
	"github.com/gridwatch/gridwatch/gateway/access"
	"github.com/gridwatch/gridwatch/gateway/edge"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// serialBuses adds to sup one bus per serial port the registry names:
// OSDP readers (osdp: {port, address}) and Modbus RTU I/O modules (modbus:
// {port, unit, profile}) each grouped by port, with the port's line
// settings from the registry's buses (the drivers' defaults for a port
// without an entry) and the site's Modbus profiles, each reporting through
// the edge of its protocol. Each bus runs with its queue of rule commands,
// which routes sends its devices' commands to. Buses follow the registry
// as it was at start; a reload that adds a port or changes its settings
// needs a restart.
func (a *App) serialBuses(reg *registry.Registry, osdpSink, modbusSink edge.Sink, sup *edge.Supervisor, routes *commandRouter) error {
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
	cm, err := edge.NewCommandMetrics(a.metrics)
	if err != nil {
		return a.errf("%w", err)
	}
	add := func(name string, bus interface {
		edge.Driver
		edge.Commander
	}, devices []string, log *slog.Logger) error {
		q := edge.NewCommands(name, bus, cm, log.With("bus", name))
		routes.attach(devices, q)
		return sup.Add(name, edge.WithCommands(bus, q))
	}
	for _, port := range sortedKeys(osdpPorts) {
		cfg := osdp.Config{Line: lineOf(reg, "osdp-"+filepath.Base(port), port), PDs: osdpPorts[port]}
		log := a.log.With("component", "osdp") // the driver adds bus=name itself
		b, err := osdp.New(cfg, osdpSink, osdp.Options{Logger: log, Registerer: a.metrics, Decider: access.List{Registry: a.reg.Get}})
		if err != nil {
			return a.errf("osdp bus %s: %w", port, err)
		}
		var devices []string
		for _, pd := range cfg.PDs {
			devices = append(devices, pd.Device)
		}
		if err := add(cfg.Name, b, devices, log); err != nil {
			return a.errf("%w", err)
		}
	}
	for _, port := range sortedKeys(modbusPorts) {
		units := modbusPorts[port]
		cfg := modbus.Config{Line: lineOf(reg, "modbus-"+filepath.Base(port), port), Units: units, Profiles: modbusProfiles(reg, units)}
		log := a.log.With("component", "modbus") // the driver adds bus=name itself
		b, err := modbus.New(cfg, modbusSink, modbus.Options{Logger: log, Registerer: a.metrics})
		if err != nil {
			return a.errf("modbus bus %s: %w", port, err)
		}
		var devices []string
		for _, u := range cfg.Units {
			devices = append(devices, u.Device)
		}
		if err := add(cfg.Name, b, devices, log); err != nil {
			return a.errf("%w", err)
		}
	}
	return nil
}

// lineOf is the line settings of port from the registry's buses entry,
// key for key (zero, the driver's defaults, without an entry).
func lineOf(reg *registry.Registry, name, port string) serialline.Line {
	l := serialline.Line{Name: name, Port: port}
	if b, ok := reg.Bus(port); ok {
		l.Baud, l.Parity, l.StopBits = b.Baud, serialline.Parity(b.Parity), b.StopBits
		l.PollInterval, l.ReplyTimeout = b.PollInterval, b.ReplyTimeout
		l.QuietAfterTimeout = b.QuietAfterTimeout
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
