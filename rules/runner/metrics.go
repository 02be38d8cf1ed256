package runner

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the runner's.
type metrics struct {
	// eval times each decision of the rules on the alarm path.
	eval prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, behind func() float64) (*metrics, error) {
	m := &metrics{
		eval: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "gridwatch_rule_evaluation_seconds",
			Help:    "Time the rules take to decide on one event.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 10), // 1 µs .. 0.26 s
		}),
	}
	if reg == nil {
		return m, nil
	}
	lag := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gridwatch_rules_behind_events",
		Help: "Journal IDs from the last event the rules handed to the escalation desk to the last durable one: how far the alarm path is behind what devices were acknowledged.",
	}, behind)
	for _, c := range []prometheus.Collector{m.eval, lag} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("rules runner: metrics: %w", err)
		}
	}
	return m, nil
}
