package uplink

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the uplink's figures on /metrics.
type metrics struct {
	connected   prometheus.Gauge
	queued      prometheus.Counter
	sent        prometheus.Counter
	shed        prometheus.Counter
	failed      prometheus.Counter
	writeFailed prometheus.Counter
	requests    *prometheus.CounterVec
	reqDropped  prometheus.Counter
	stale       prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, box *outbox, now func() time.Time) (*metrics, error) {
	m := &metrics{
		connected: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gridwatch_uplink_connected",
			Help: "1 while the uplink to the county's broker is connected."}),
		queued: prometheus.NewCounter(prometheus.CounterOpts{Name: "gridwatch_uplink_queued_total",
			Help: "Records appended to the uplink outbox."}),
		sent: prometheus.NewCounter(prometheus.CounterOpts{Name: "gridwatch_uplink_sent_total",
			Help: "Records the county's broker acknowledged (QoS 1)."}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{Name: "gridwatch_uplink_shed_total",
			Help: "Records shed because the outbox was full (summaries first, then presence changes; never alarms)."}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{Name: "gridwatch_uplink_failed_total",
			Help: "Batches of records whose publish failed or was not acknowledged; they are sent again."}),
		writeFailed: prometheus.NewCounter(prometheus.CounterOpts{Name: "gridwatch_uplink_write_failed_total",
			Help: "Times queued records could not be written to the outbox (retried)."}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gridwatch_uplink_requests_total",
			Help: "County requests answered, by reply status (200 done; 400, 403, 404, 409 refused; 500 failed)."}, []string{"status"}),
		reqDropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "gridwatch_uplink_requests_dropped_total",
			Help: "County requests dropped unanswered because the request queue was full."}),
		stale: prometheus.NewCounter(prometheus.CounterOpts{Name: "gridwatch_uplink_requests_stale_total",
			Help: "County requests refused (409) because their at_ms was older than uplink.request_max_age, too far ahead, or missing while uplink.request_max_age is set."}),
	}
	if reg == nil {
		return m, nil
	}
	backlog := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gridwatch_uplink_backlog_records",
		Help: "Records in the uplink outbox not yet acknowledged by the county."},
		func() float64 { n, _, _ := box.backlog(); return float64(n) })
	bytes := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gridwatch_uplink_backlog_bytes",
		Help: "Bytes of the records in the uplink outbox."},
		func() float64 { _, b, _ := box.backlog(); return float64(b) })
	lag := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gridwatch_uplink_lag_seconds",
		Help: "Age of the oldest unsent record in the uplink outbox; 0 when it is empty."},
		func() float64 {
			_, _, oldest := box.backlog()
			if oldest == 0 {
				return 0
			}
			return max(0, float64(now().UnixMilli()-oldest)/1000)
		})
	for _, c := range []prometheus.Collector{m.connected, m.queued, m.sent, m.shed, m.failed, m.writeFailed,
		m.requests, m.reqDropped, m.stale, backlog, bytes, lag} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) answered(status int) { m.requests.WithLabelValues(strconv.Itoa(status)).Inc() }
