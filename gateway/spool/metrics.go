package spool

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Reasons a record is dropped, the values of the reason label.
const (
	reasonFull       = "full"        // the oldest segment made room
	reasonBufferFull = "buffer_full" // Append found the buffer full
	reasonCorrupt    = "corrupt"     // a frame failed its check
	reasonWriteError = "write_error" // the disk refused a write or fsync
	reasonDiskLow    = "disk_low"    // the write would have taken the free space kept for others
)

// metrics are the spool's counters and gauges, labelled with its name.
type metrics struct {
	bytes, segments prometheus.Gauge
	appended, acked prometheus.Counter
	dropped         *prometheus.CounterVec
}

// newMetrics creates the metrics and registers them with reg (if not nil).
// depth reports the records not yet acknowledged.
func newMetrics(reg prometheus.Registerer, name string, depth func() float64) (metrics, error) {
	labels := prometheus.Labels{"spool": name}
	gauge := func(n, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: n, Help: help, ConstLabels: labels})
	}
	counter := func(n, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: n, Help: help, ConstLabels: labels})
	}
	m := metrics{
		bytes:    gauge("gridwatch_spool_bytes", "Bytes of the spool's segment files on disk."),
		segments: gauge("gridwatch_spool_segments", "Segment files on disk."),
		appended: counter("gridwatch_spool_appended_total", "Records accepted by Append."),
		acked:    counter("gridwatch_spool_acked_total", "Records acknowledged by the reader."),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "gridwatch_spool_dropped_total",
			Help:        "Records lost, by reason: full (oldest segment dropped), buffer_full, corrupt, write_error, disk_low (free space kept for the journal).",
			ConstLabels: labels,
		}, []string{"reason"}),
	}
	for _, r := range []string{reasonFull, reasonBufferFull, reasonCorrupt, reasonWriteError, reasonDiskLow} {
		m.dropped.WithLabelValues(r)
	}
	records := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "gridwatch_spool_records",
		Help:        "Records appended and not yet acknowledged, including those waiting for fsync.",
		ConstLabels: labels,
	}, depth)
	if reg == nil {
		return m, nil
	}
	cs := []prometheus.Collector{records, m.bytes, m.segments, m.appended, m.acked, m.dropped}
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] {
				reg.Unregister(done)
			}
			return metrics{}, fmt.Errorf("spool: register metrics: %w", err)
		}
	}
	return m, nil
}
