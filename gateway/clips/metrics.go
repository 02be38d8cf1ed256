package clips

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of gridwatch_clips_total.
const (
	outcomeReady     = "ready"
	outcomeNoVideo   = "no_video"
	outcomeFailed    = "failed"
	outcomeDiskFloor = "disk_floor" // not recorded: the journal's disk comes first
	outcomeDropped   = "dropped"    // the queue was full
)

// Reasons of gridwatch_clips_deleted_total.
const (
	reasonAge       = "age"
	reasonSize      = "size"
	reasonDiskFloor = "disk_floor"
)

type metrics struct {
	outcomes     *prometheus.CounterVec // {outcome}
	queued       prometheus.Gauge
	active       prometheus.Gauge
	onDisk       prometheus.Gauge
	alarms       prometheus.Gauge
	free         prometheus.Gauge
	deleted      *prometheus.CounterVec // {reason}
	stillErrors  prometheus.Counter
	bytesWritten prometheus.Counter
	ready        prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_clips_total",
			Help: "Alarm clips by outcome: ready, no_video (the camera had none), failed, disk_floor (not recorded: the journal's free-space floor), dropped (queue full).",
		}, []string{"outcome"}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwatch_clips_queued", Help: "Alarm clips waiting for a recorder worker.",
		}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwatch_clips_recording", Help: "Alarm clips being recorded now.",
		}),
		onDisk: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwatch_clips_bytes", Help: "Bytes of clips and stills under data_dir/clips, as of the last sweep.",
		}),
		alarms: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwatch_clips_alarms", Help: "Alarms with clips kept under data_dir/clips, as of the last sweep.",
		}),
		free: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwatch_clips_disk_free_bytes", Help: "Free bytes of the clips' filesystem, as of the last sweep.",
		}),
		deleted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_clips_deleted_total",
			Help: "Closed alarms whose clips retention deleted, by reason: age (clips.max_age), size (clips.max_bytes), disk_floor (clips.min_free_bytes).",
		}, []string{"reason"}),
		stillErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_clips_still_errors_total", Help: "Clips recorded whose still (ffmpeg) could not be made.",
		}),
		bytesWritten: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_clips_written_bytes_total", Help: "Bytes of MP4 clips written.",
		}),
		ready: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "gridwatch_clips_ready_seconds",
			Help:    "Time from the press to its clip being ready (post-roll included).",
			Buckets: []float64{5, 10, 20, 25, 30, 40, 60, 90, 120},
		}),
	}
	for _, o := range []string{outcomeReady, outcomeNoVideo, outcomeFailed, outcomeDiskFloor, outcomeDropped} {
		m.outcomes.WithLabelValues(o)
	}
	for _, r := range []string{reasonAge, reasonSize, reasonDiskFloor} {
		m.deleted.WithLabelValues(r)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.outcomes, m.queued, m.active, m.onDisk, m.alarms, m.free, m.deleted, m.stillErrors, m.bytesWritten, m.ready} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("clips metrics (one service per registerer): %w", err)
		}
	}
	return m, nil
}

func (m *metrics) outcome(o string) { m.outcomes.WithLabelValues(o).Inc() }
