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
	segments     prometheus.Gauge
	lastID       prometheus.Gauge
	writeErrors  prometheus.Counter
	lost         prometheus.Counter
	pruned       prometheus.Counter
	headroom     prometheus.Gauge
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
		segments: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwatch_journal_segments",
			Help: "Journal segment files on disk.",
		}),
		lastID: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwatch_journal_last_id",
			Help: "ID of the last durable event in the journal.",
		}),
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_journal_write_errors_total",
			Help: "Batches the journal could not write or sync (their events were refused, never acknowledged).",
		}),
		lost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_journal_lost_events_total",
			Help: "Events found missing from the journal at start: applied by the alarm store, gone from the journal.",
		}),
		headroom: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwatch_journal_headroom_bytes",
			Help: "Disk space allocated ahead of the journal, for appends after the disk fills up.",
		}),
		pruned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_journal_pruned_segments_total",
			Help: "Journal segments removed by retention.",
		}),
	}
}

// register registers every instrument with r, or none; r may be nil.
func (m *metrics) register(r prometheus.Registerer) error {
	if r == nil {
		return nil
	}
	cs := []prometheus.Collector{m.appends, m.fsyncs, m.fsyncSeconds, m.onDisk, m.segments, m.lastID, m.writeErrors, m.lost, m.pruned, m.headroom}
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
