package osdp

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/serialline"
)

// metrics are one bus's instruments, curried with its bus label.
type metrics struct {
	rejected *prometheus.CounterVec // reason
	timeouts prometheus.Counter
	events   *prometheus.CounterVec // type
	up       prometheus.Gauge
}

// newMetrics creates the bus's metrics and registers them with reg (if not
// nil). Several buses share one set of collectors, told apart by the bus
// label.
func newMetrics(reg prometheus.Registerer, bus string) (*metrics, error) {
	rejected := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gridwatch_serial_frames_rejected_total",
		Help: "Serial frames or runs of bytes rejected, by bus and reason (bad_crc, garbage, gap_timeout, ...).",
	}, []string{"bus", "reason"})
	timeouts := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gridwatch_osdp_reply_timeouts_total",
		Help: "OSDP commands that got no valid reply in time, by bus.",
	}, []string{"bus"})
	events := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gridwatch_osdp_events_total",
		Help: "Events emitted by the OSDP driver, by bus and type.",
	}, []string{"bus", "type"})
	var err error
	if rejected, err = register(reg, rejected); err != nil {
		return nil, err
	}
	if timeouts, err = register(reg, timeouts); err != nil {
		return nil, err
	}
	if events, err = register(reg, events); err != nil {
		return nil, err
	}
	up := prometheus.NewGaugeVec(serialline.UpOpts, []string{"bus", "protocol"})
	if up, err = register(reg, up); err != nil {
		return nil, err
	}
	l := prometheus.Labels{"bus": bus}
	return &metrics{rejected: rejected.MustCurryWith(l), timeouts: timeouts.With(l), events: events.MustCurryWith(l),
		up: up.WithLabelValues(bus, "osdp")}, nil
}

// register registers c, or returns the collector already registered under
// its name by another bus.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
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
		return c, fmt.Errorf("osdp: register metrics: %w", err)
	}
	return c, nil
}
