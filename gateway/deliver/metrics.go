package deliver

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes counted in gridwatch_deliveries_total.
const (
	outcomeOK        = "ok"        // an attempt delivered
	outcomeError     = "error"     // an attempt failed; will be retried or fall back
	outcomeTimeout   = "timeout"   // an attempt ran out of time
	outcomePermanent = "permanent" // an attempt failed for good
	outcomeDropped   = "dropped"   // an outbox gave a notification up after a permanent failure
	outcomeExpired   = "expired"   // an outbox gave a notification up after MaxAge
	outcomeCorrupt   = "corrupt"   // an outbox found an unreadable record on disk
)

// Metrics are the delivery series. Make one per registerer with NewMetrics
// and share it among the outboxes and chains of a gateway.
type Metrics struct {
	deliveries *prometheus.CounterVec   // {channel, outcome}
	seconds    *prometheus.HistogramVec // {channel}
	pending    *prometheus.GaugeVec     // {channel}
}

// NewMetrics makes the delivery series and registers them on reg; a nil reg
// keeps them unexported.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_deliveries_total",
			Help: "Notification delivery attempts and give-ups, by channel and outcome (ok, error, timeout, permanent, dropped, expired, corrupt).",
		}, []string{"channel", "outcome"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gridwatch_delivery_seconds",
			Help:    "Time from a notification entering an outbox to its delivery, by channel.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900},
		}, []string{"channel"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gridwatch_outbox_pending",
			Help: "Notifications waiting in an outbox, by channel.",
		}, []string{"channel"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.deliveries, m.seconds, m.pending} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("deliver metrics (one Metrics per registerer): %w", err)
		}
	}
	return m, nil
}

// attempt counts the outcome of one Send over channel.
func (m *Metrics) attempt(channel string, err error, timedOut bool) {
	outcome := outcomeOK
	switch {
	case err == nil:
	case timedOut:
		outcome = outcomeTimeout
	case IsPermanent(err):
		outcome = outcomePermanent
	default:
		outcome = outcomeError
	}
	m.deliveries.WithLabelValues(channel, outcome).Inc()
}
