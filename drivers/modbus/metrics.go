package modbus

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/serialline"
)

// metrics are one bus's instruments, curried with its bus label. The names
// differ from the OSDP driver's so both can share a registry.
type metrics struct {
	rejected   *prometheus.CounterVec // reason
	exceptions *prometheus.CounterVec // code
	timeouts   prometheus.Counter
	events     *prometheus.CounterVec // type
	up         prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, bus string) (*metrics, error) {
	vecs := []*prometheus.CounterVec{
		prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_modbus_frames_rejected_total",
			Help: "Modbus RTU replies or runs of bytes rejected, by bus and reason (bad_crc, garbage, wrong_unit, ...).",
		}, []string{"bus", "reason"}),
		prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_modbus_exceptions_total",
			Help: "Modbus exception responses received, by bus and exception code.",
		}, []string{"bus", "code"}),
		prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_modbus_reply_timeouts_total",
			Help: "Modbus requests that got no valid reply in time, by bus.",
		}, []string{"bus"}),
		prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_modbus_events_total",
			Help: "Events emitted by the Modbus driver, by bus and type.",
		}, []string{"bus", "type"}),
	}
	for i, v := range vecs {
		r, err := register(reg, v)
		if err != nil {
			return nil, err
		}
		vecs[i] = r
	}
	up, err := register(reg, prometheus.NewGaugeVec(serialline.UpOpts, []string{"bus", "protocol"}))
	if err != nil {
		return nil, err
	}
	l := prometheus.Labels{"bus": bus}
	return &metrics{rejected: vecs[0].MustCurryWith(l), exceptions: vecs[1].MustCurryWith(l),
		timeouts: vecs[2].With(l), events: vecs[3].MustCurryWith(l), up: up.WithLabelValues(bus, "modbus")}, nil
}

// register registers c, or returns the collector another bus registered
// under its name.
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
		return c, fmt.Errorf("modbus: register metrics: %w", err)
	}
	return c, nil
}
