package registry

import (
	"slices"
	"time"
)

// Bus protocols.
const (
	ProtocolOSDP   = "osdp"
	ProtocolModbus = "modbus"
)

// Bus is the line settings of one RS-485 port. A port the devices use
// without a buses entry runs at its driver's defaults (9600 8N1; OSDP
// polls every 100 ms with a 200 ms reply timeout, Modbus every 100 ms with
// a 100 ms reply timeout).
type Bus struct {
	Port     string `yaml:"port" json:"port"`
	Protocol string `yaml:"protocol" json:"protocol"` // osdp | modbus
	// Baud is the line speed; 0: the driver's default (9600).
	Baud int `yaml:"baud,omitempty" json:"baud,omitempty"`
	// Parity is none, even or odd; empty: none.
	Parity string `yaml:"parity,omitempty" json:"parity,omitempty"`
	// StopBits is 1 or 2 (Modbus only; OSDP is always 1); 0: 1.
	StopBits int `yaml:"stop_bits,omitempty" json:"stop_bits,omitempty"`
	// PollInterval is the shortest time between the starts of two polling
	// cycles; 0: the driver's default.
	PollInterval time.Duration `yaml:"poll_interval,omitempty" json:"poll_interval,omitempty"`
	// ReplyTimeout is the wait for a reply on top of its transmit time;
	// 0: the driver's default.
	ReplyTimeout time.Duration `yaml:"reply_timeout,omitempty" json:"reply_timeout,omitempty"`
	// QuietAfterTimeout (Modbus only) is how long the line stays quiet
	// after a request that got no reply; 0: the driver's default (600 ms,
	// past libmodbus's 500 ms response timeout).
	QuietAfterTimeout time.Duration `yaml:"quiet_after_timeout,omitempty" json:"quiet_after_timeout,omitempty"`
}

// Line speeds each protocol's driver takes.
var (
	OSDPBauds   = []int{9600, 19200, 38400, 57600, 115200, 230400}
	ModbusBauds = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200}
)

// Limits of a bus's timing.
const (
	MinPollInterval = 10 * time.Millisecond
	MaxPollInterval = time.Minute
	MinReplyTimeout = 10 * time.Millisecond
	MaxReplyTimeout = 10 * time.Second
	MinQuietAfter   = time.Millisecond
	MaxQuietAfter   = 10 * time.Second
)

// Bus returns the line settings of port, if the registry has them.
func (r *Registry) Bus(port string) (*Bus, bool) {
	b, ok := r.buses[port]
	return b, ok
}

// Buses returns every bus entry, sorted by port.
func (r *Registry) Buses() []*Bus {
	return sortedValues(r.buses, func(b *Bus) string { return b.Port })
}

// validateBuses checks the bus entries against each other and the devices
// on their ports.
func (d *decoder) validateBuses(list []entry[Bus], devices []entry[Device]) {
	used := map[string]map[string]bool{} // port → protocols of the devices on it
	use := func(port, proto string) {
		if used[port] == nil {
			used[port] = map[string]bool{}
		}
		used[port][proto] = true
	}
	for _, e := range devices {
		if e.v.OSDP != nil && e.v.OSDP.Port != "" {
			use(e.v.OSDP.Port, ProtocolOSDP)
		}
		if e.v.Modbus != nil && e.v.Modbus.Port != "" {
			use(e.v.Modbus.Port, ProtocolModbus)
		}
	}
	seen := map[string]int{}
	for i := range list {
		b, s := &list[i].v, &list[i].spot
		if d.required(s, "port", b.Port) {
			if first, dup := seen[b.Port]; dup {
				d.add(s.lineOf("port"), s.subject, "listed twice (first at line %d)", first)
			}
			seen[b.Port] = s.lineOf("port")
		}
		protoOK := false
		switch {
		case !s.has("protocol"):
			d.add(s.line, s.subject, "protocol missing (want osdp or modbus)")
		case s.bad["protocol"]:
		case b.Protocol != ProtocolOSDP && b.Protocol != ProtocolModbus:
			d.add(s.lineOf("protocol"), s.subject, "unknown protocol %q (want osdp or modbus)", b.Protocol)
		default:
			protoOK = true
		}
		if protoOK && s.good("port") && b.Port != "" {
			switch p := used[b.Port]; {
			case p == nil:
				d.add(s.lineOf("port"), s.subject, "no device uses this port (a typo in the path?)")
			case !p[b.Protocol]:
				other := ProtocolOSDP
				if b.Protocol == ProtocolOSDP {
					other = ProtocolModbus
				}
				d.add(s.lineOf("protocol"), s.subject, "protocol %s, but the devices on this port speak %s", b.Protocol, other)
			}
		}
		if protoOK && s.good("baud") && s.has("baud") {
			bauds := OSDPBauds
			if b.Protocol == ProtocolModbus {
				bauds = ModbusBauds
			}
			if !slices.Contains(bauds, b.Baud) {
				d.add(s.lineOf("baud"), s.subject, "baud %d: %s takes %v", b.Baud, b.Protocol, bauds)
			}
		}
		if s.good("parity") && b.Parity != "" && b.Parity != "none" && b.Parity != "even" && b.Parity != "odd" {
			d.add(s.lineOf("parity"), s.subject, "parity %q: want none, even or odd", b.Parity)
		}
		if s.good("stop_bits") {
			switch {
			case b.StopBits != 1 && b.StopBits != 2:
				d.add(s.lineOf("stop_bits"), s.subject, "stop_bits %d: want 1 or 2", b.StopBits)
			case b.StopBits == 2 && protoOK && b.Protocol == ProtocolOSDP:
				d.add(s.lineOf("stop_bits"), s.subject, "stop_bits 2: OSDP lines are 8N1")
			}
		}
		d.durationIn(s, "poll_interval", b.PollInterval, MinPollInterval, MaxPollInterval)
		d.durationIn(s, "reply_timeout", b.ReplyTimeout, MinReplyTimeout, MaxReplyTimeout)
		d.durationIn(s, "quiet_after_timeout", b.QuietAfterTimeout, MinQuietAfter, MaxQuietAfter)
		if s.good("quiet_after_timeout") && s.has("quiet_after_timeout") && protoOK && b.Protocol == ProtocolOSDP {
			d.add(s.lineOf("quiet_after_timeout"), s.subject, "quiet_after_timeout: Modbus lines only")
		}
	}
}

// durationIn reports a duration that was given but lies outside lo..hi.
func (d *decoder) durationIn(s *spot, key string, v, lo, hi time.Duration) {
	if s.good(key) && (v < lo || v > hi) {
		d.add(s.lineOf(key), s.subject, "%s %s out of range %s..%s", key, v, lo, hi)
	}
}

// checkPorts reports a port that OSDP readers and Modbus modules both
// name: one line speaks one protocol.
func (d *decoder) checkPorts(devices []entry[Device]) {
	first := map[string]*entry[Device]{} // port → first device on it
	for i := range devices {
		e := &devices[i]
		var port, proto, key string
		switch {
		case e.v.OSDP != nil && e.good("osdp.port"):
			port, proto, key = e.v.OSDP.Port, ProtocolOSDP, "osdp.port"
		case e.v.Modbus != nil && e.good("modbus.port"):
			port, proto, key = e.v.Modbus.Port, ProtocolModbus, "modbus.port"
		default:
			continue
		}
		f, ok := first[port]
		if !ok {
			first[port] = e
			continue
		}
		if other := f.v.OSDP != nil; other != (proto == ProtocolOSDP) {
			d.add(e.lineOf(key), e.subject, "%s %s is the %s bus of %s (line %d); one port speaks one protocol",
				key, port, map[bool]string{true: ProtocolOSDP, false: ProtocolModbus}[other], f.v.ID, f.line)
		}
	}
}
