package modbus

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/serialline"
)

// metricOpts are the Modbus driver's names for the serial bus counters;
// they differ from the OSDP driver's so both can share a registry.
var metricOpts = serialline.MetricOpts{
	Rejected: prometheus.CounterOpts{
		Name: "gridwatch_modbus_frames_rejected_total",
		Help: "Modbus RTU replies or runs of bytes rejected, by bus and reason (bad_crc, garbage, wrong_unit, ...).",
	},
	Timeouts: prometheus.CounterOpts{
		Name: "gridwatch_modbus_reply_timeouts_total",
		Help: "Modbus requests that got no valid reply in time, by bus.",
	},
	Events: prometheus.CounterOpts{
		Name: "gridwatch_modbus_events_total",
		Help: "Events emitted by the Modbus driver, by bus and type.",
	},
}

// metrics are one bus's instruments: the serial bus's, and the exception
// responses only Modbus has.
type metrics struct {
	*serialline.Metrics
	exceptions *prometheus.CounterVec // code
}

func newMetrics(reg prometheus.Registerer, bus string) (*metrics, error) {
	m, err := serialline.NewMetrics(reg, "modbus", bus, metricOpts)
	if err != nil {
		return nil, err
	}
	exceptions, err := serialline.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gridwatch_modbus_exceptions_total",
		Help: "Modbus exception responses received, by bus and exception code.",
	}, []string{"bus", "code"}))
	if err != nil {
		return nil, err
	}
	return &metrics{Metrics: m, exceptions: exceptions.MustCurryWith(prometheus.Labels{"bus": bus})}, nil
}
