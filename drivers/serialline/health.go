package serialline

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/edge"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// Event types for the line itself. The bus is not a registry device, so
// both are reported under the bus's first device in configuration order;
// the data names the bus, its port, protocol and every device on it.
const (
	// BusFault is a serial port that failed (adapter unplugged, read or
	// write error, open refused): data {bus, port, protocol, error,
	// devices}. One per outage, however often the reopen is retried.
	BusFault = event.BusFault
	// BusRestored is the port back and a full polling cycle run over it:
	// data {bus, port, protocol, devices, down_ms}.
	BusRestored = event.BusRestored
)

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

// NewHealth is the port watcher of bus l of protocol with devices (in
// configuration order), reporting its gauge to up and its events under the
// first device through emit.
func NewHealth(l Line, protocol string, devices []string, up prometheus.Gauge, now func() time.Time, log *slog.Logger,
	emit func(device, typ string, data map[string]any)) Health {
	h := Health{Bus: l.Name, Port: l.Port, Protocol: protocol, Devices: devices, Up: up, Now: now, Log: log}
	h.Emit = func(typ string, data map[string]any) { emit(devices[0], typ, data) }
	return h
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

// Life reports the devices a bus hears from as alive through its Sink, at
// most every edge.LifeEvery: the rules' supervision and the device status
// need to know a reader answers its polls though nobody swipes a card. It
// is owned by the bus's goroutine.
type Life struct {
	Sink edge.Sink
	last time.Time
}

// Due reports whether it is time to report, and if so counts it done.
func (l *Life) Due(now time.Time) bool {
	if !l.last.IsZero() && now.Sub(l.last) < edge.LifeEvery && now.After(l.last) {
		return false
	}
	l.last = now
	return true
}
