package telemetry

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of a point, the values of the outcome label.
const (
	outcomeWritten = "written"
	outcomeDropped = "dropped"
	outcomeFailed  = "failed"
)

// metrics are the writer's counters.
type metrics struct {
	written, dropped, failed prometheus.Counter
}

// newMetrics creates the metrics and registers them with reg (if not nil).
// depth reports the current queue depth.
func newMetrics(reg prometheus.Registerer, depth func() float64) (metrics, error) {
	points := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gridwatch_telemetry_points_total",
		Help: "Telemetry points by outcome: written to InfluxDB, dropped (queue full or shutting down) or failed (rejected, or retried in vain).",
	}, []string{"outcome"})
	queue := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gridwatch_telemetry_queue_depth",
		Help: "Telemetry samples waiting to be written, including the batch being sent.",
	}, depth)
	m := metrics{
		written: points.WithLabelValues(outcomeWritten),
		dropped: points.WithLabelValues(outcomeDropped),
		failed:  points.WithLabelValues(outcomeFailed),
	}
	if reg != nil {
		cs := []prometheus.Collector{points, queue}
		for i, c := range cs {
			if err := reg.Register(c); err != nil {
				for _, done := range cs[:i] {
					reg.Unregister(done)
				}
				return metrics{}, fmt.Errorf("telemetry: register metrics: %w", err)
			}
		}
	}
	return m, nil
}
