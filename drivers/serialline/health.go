// Package serialline is what the RS-485 drivers (OSDP, Modbus RTU) share
// about the line itself: reporting a failed serial port once per outage,
// the gridwatch_serial_bus_up gauge, the line settings (speed, parity,
// stop bits) and how a port is opened with them, and the hand-off of a
// device command to the bus's owner goroutine (Submit).
package serialline

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Event types for the line itself. The bus is not a registry device, so
// both are reported under the bus's first device in configuration order;
// the data names the bus, its port, protocol and every device on it.
const (
	// BusFault is a serial port that failed (adapter unplugged, read or
	// write error, open refused): data {bus, port, protocol, error,
	// devices}. One per outage, however often the reopen is retried.
	BusFault = "bus.fault"
	// BusRestored is the port back and a full polling cycle run over it:
	// data {bus, port, protocol, devices, down_ms}.
	BusRestored = "bus.restored"
)

// UpOpts is gridwatch_serial_bus_up{bus,protocol}; every driver declares
// it from here, so that they can share one registry.
var UpOpts = prometheus.GaugeOpts{
	Name: "gridwatch_serial_bus_up",
	Help: "Whether a serial bus's port is open and carrying polls (1) or has failed, e.g. an unplugged adapter (0), by bus and protocol.",
}

// Health follows one bus's port. It is owned by the bus's goroutine.
type Health struct {
	Bus, Port, Protocol string
	// Devices are the bus's devices in configuration order; events go
	// out under the first.
	Devices []string
	Up      prometheus.Gauge
	Now     func() time.Time
	Log     *slog.Logger
	// Emit reports an event under the bus's first device.
	Emit func(typ string, data map[string]any)

	down  bool      // a bus.fault has been reported and not yet restored
	since time.Time // when the outage began
}

// Failed reports the start of an outage; later failures of the same
// outage (each reopen retry) only keep the gauge at 0.
func (h *Health) Failed(err error) {
	h.Up.Set(0)
	if h.down || len(h.Devices) == 0 {
		return
	}
	h.down, h.since = true, h.Now()
	data := h.data()
	data["error"] = err.Error()
	h.Emit(BusFault, data)
}

// Works reports the end of an outage: the port opened and carried a whole
// polling cycle.
func (h *Health) Works() {
	h.Up.Set(1)
	if !h.down {
		return
	}
	data := h.data()
	data["down_ms"] = h.Now().Sub(h.since).Milliseconds()
	h.down = false
	h.Log.Info(h.Protocol+": serial port works again", "port", h.Port)
	h.Emit(BusRestored, data)
}

func (h *Health) data() map[string]any {
	return map[string]any{"bus": h.Bus, "port": h.Port, "protocol": h.Protocol, "devices": append([]string(nil), h.Devices...)}
}
