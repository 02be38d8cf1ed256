package thresholds

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	events   *prometheus.CounterVec // derived events journaled, by type
	problems *prometheus.CounterVec // by reason
	raised   prometheus.GaugeFunc   // conditions raised now
}

// Reasons of gridwatch_telemetry_threshold_problems_total.
const (
	reasonWrongType    = "wrong_type"    // a judged field of the wrong type: skipped
	reasonNotJournaled = "not_journaled" // the journal refused a derived event: tried again at the next sample
	reasonNotSaved     = "not_saved"     // the state file could not be written: tried again later
)

func newMetrics(reg prometheus.Registerer, raised func() int) (*metrics, error) {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_telemetry_threshold_events_total",
			Help: "Events the gateway derived from telemetry thresholds and journaled, by type.",
		}, []string{"type"}),
		problems: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_telemetry_threshold_problems_total",
			Help: "Telemetry thresholds not judged or not kept, by reason: wrong_type (a field of the wrong type), not_journaled (retried at the next sample), not_saved (state file).",
		}, []string{"reason"}),
		raised: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gridwatch_telemetry_thresholds_raised",
			Help: "Telemetry threshold conditions raised now (by a crossing or by the device's own event), over all devices and fields.",
		}, func() float64 { return float64(raised()) }),
	}
	for _, r := range []string{reasonWrongType, reasonNotJournaled, reasonNotSaved} {
		m.problems.WithLabelValues(r)
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.events, m.problems, m.raised} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("thresholds: metrics: %w", err)
			}
		}
	}
	return m, nil
}
