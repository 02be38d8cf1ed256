package journal

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the journal's instruments. They always exist, so the code
// never checks for nil; they are registered only when a Registerer is given.
type metrics struct {
	appends      prometheus.Counter
	fsyncs       prometheus.Counter
	fsyncSeconds prometheus.Histogram
	onDisk       prometheus.Gauge
	lastID       prometheus.Gauge
}

func newMetrics() *metrics {
	return &metrics{
		appends: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_journal_appends_total",
			Help: "Events written to the journal and synced.",
		}),
		fsyncs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_journal_fsyncs_total",
			Help: "fsync calls on journal segments and their directory.",
		}),
		fsyncSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "gridwatch_journal_fsync_seconds",
			Help: "Time taken by one journal fsync.",
			// 50µs to ~1.6s.
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 16),
		}),
		onDisk: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwatch_journal_bytes",
			Help: "Bytes in all journal segments on disk.",
		}),
		lastID: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwatch_journal_last_id",
			Help: "ID of the last durable event in the journal.",
		}),
	}
}

// register registers every instrument with r, or none; r may be nil.
func (m *metrics) register(r prometheus.Registerer) error {
	if r == nil {
		return nil
	}
	cs := []prometheus.Collector{m.appends, m.fsyncs, m.fsyncSeconds, m.onDisk, m.lastID}
	for i, c := range cs {
		if err := r.Register(c); err != nil {
			for _, done := range cs[:i] {
				r.Unregister(done)
			}
			return fmt.Errorf("journal: register metrics: %w", err)
		}
	}
	return nil
}
