package serialline

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// UpOpts is gridwatch_serial_bus_up{bus,protocol}, shared by every serial
// driver.
var UpOpts = prometheus.GaugeOpts{
	Name: "gridwatch_serial_bus_up",
	Help: "Whether a serial bus's port is open and carrying polls (1) or has failed, e.g. an unplugged adapter (0), by bus and protocol.",
}

// MetricOpts name a driver's own counters (each protocol has kept its own
// names): frames rejected {bus,reason}, reply timeouts {bus}, events
// emitted {bus,type}.
type MetricOpts struct {
	Rejected, Timeouts, Events prometheus.CounterOpts
}

// Metrics are one bus's instruments, curried with its bus label.
type Metrics struct {
	Rejected *prometheus.CounterVec // reason
	Timeouts prometheus.Counter
	Events   *prometheus.CounterVec // type
	Up       prometheus.Gauge
}

// NewMetrics creates bus's metrics and registers them with reg (if not
// nil). Several buses share one set of collectors, told apart by the bus
// label.
func NewMetrics(reg prometheus.Registerer, protocol, bus string, o MetricOpts) (*Metrics, error) {
	rejected, err := Register(reg, prometheus.NewCounterVec(o.Rejected, []string{"bus", "reason"}))
	if err != nil {
		return nil, err
	}
	timeouts, err := Register(reg, prometheus.NewCounterVec(o.Timeouts, []string{"bus"}))
	if err != nil {
		return nil, err
	}
	events, err := Register(reg, prometheus.NewCounterVec(o.Events, []string{"bus", "type"}))
	if err != nil {
		return nil, err
	}
	up, err := Register(reg, prometheus.NewGaugeVec(UpOpts, []string{"bus", "protocol"}))
	if err != nil {
		return nil, err
	}
	l := prometheus.Labels{"bus": bus}
	return &Metrics{Rejected: rejected.MustCurryWith(l), Timeouts: timeouts.With(l), Events: events.MustCurryWith(l),
		Up: up.WithLabelValues(bus, protocol)}, nil
}

// Register registers c with reg (if not nil), or returns the collector
// another bus registered under its name.
func Register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if reg == nil {
		return c, nil
	}
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	if err != nil {
		return c, fmt.Errorf("serial bus: register metrics: %w", err)
	}
	return c, nil
}
