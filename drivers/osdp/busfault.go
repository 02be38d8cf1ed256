package osdp

import "time"

// Event types for the line itself. The bus is not a registry device, so
// both are reported under the bus's first PD in configuration order; the
// data names the bus, its port and every device on it.
const (
	// BusFault is a serial port that failed (adapter unplugged, read or
	// write error, open refused): data {bus, port, protocol, error,
	// devices}. One per outage, however often the reopen is retried.
	BusFault = "bus.fault"
	// BusRestored is the port back and a full polling cycle run over it:
	// data {bus, port, protocol, devices, down_ms}.
	BusRestored = "bus.restored"
)

// lineHealth tracks one outage of the port so that it is reported once.
type lineHealth struct {
	down  bool      // a bus.fault has been reported and not yet restored
	since time.Time // when the outage began
}

// portFailed reports the start of an outage; later failures of the same
// outage (each reopen retry) are only logged by the caller.
func (b *Bus) portFailed(err error) {
	b.m.up.Set(0)
	if b.health.down {
		return
	}
	b.health = lineHealth{down: true, since: b.now()}
	data := b.busData()
	data["error"] = err.Error()
	b.emit(b.pds[0], BusFault, data)
}

// portWorks reports the end of an outage: the port opened and carried a
// whole polling cycle.
func (b *Bus) portWorks() {
	b.m.up.Set(1)
	if !b.health.down {
		return
	}
	data := b.busData()
	data["down_ms"] = b.now().Sub(b.health.since).Milliseconds()
	b.health = lineHealth{}
	b.log.Info("osdp: serial port works again", "port", b.cfg.Port)
	b.emit(b.pds[0], BusRestored, data)
}

func (b *Bus) busData() map[string]any {
	devs := make([]string, len(b.pds))
	for i, p := range b.pds {
		devs[i] = p.cfg.Device
	}
	return map[string]any{"bus": b.cfg.Name, "port": b.cfg.Port, "protocol": "osdp", "devices": devs}
}
