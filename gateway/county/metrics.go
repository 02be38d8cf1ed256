package county

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the county view's own series.
type metrics struct {
	records    *prometheus.CounterVec
	rejected   *prometheus.CounterVec
	duplicates prometheus.Counter
	stale      prometheus.Counter
	outOfOrder prometheus.Counter
	gaps       prometheus.Counter
	lag        prometheus.Histogram
	open       prometheus.Gauge
	sites      prometheus.Gauge
	connected  prometheus.Gauge
	swept      prometheus.Counter
	refetched  prometheus.Counter
	missing    prometheus.Gauge
	requests   *prometheus.CounterVec
}

func newMetrics() *metrics {
	return &metrics{
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_county_records_total",
			Help: "Records of the sites' event streams applied, by kind (alarm, presence, summary); duplicates not included.",
		}, []string{"kind"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_county_rejected_total",
			Help: "Messages of the county topics refused, by reason: topic, json, record, size, county, site.",
		}, []string{"reason"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_county_duplicates_total",
			Help: "Records dropped because their id was seen before (at-least-once delivery).",
		}),
		stale: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_county_stale_total",
			Help: "Alarm records not applied because the view holds a newer state of the alarm.",
		}),
		outOfOrder: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_county_out_of_order_total",
			Help: "Records that arrived after a record of the same site with a higher seq.",
		}),
		gaps: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_county_seq_gaps_total",
			Help: "Jumps in a site's seq (summaries shed at the site while the county was unreachable).",
		}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "gridwatch_county_record_lag_seconds",
			Help:    "From a record's time at its site to its arrival at the view (the clocks' difference included).",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800},
		}),
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwatch_county_open_alarms",
			Help: "Open alarms across the county.",
		}),
		sites: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwatch_county_sites",
			Help: "Sites heard of.",
		}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwatch_county_connected",
			Help: "1 while the view is connected and subscribed to the county cluster.",
		}),
		swept: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_county_swept_total",
			Help: "Open alarms dropped because a newer summary of their site no longer lists them (closed while their closing record and retained state were missed).",
		}),
		refetched: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_county_refetch_total",
			Help: "Sites whose retained alarms the view asked for again because their summary lists open alarms it did not hold.",
		}),
		missing: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwatch_county_missing_alarms",
			Help: "Open alarms the sites' latest summaries list and the view does not hold (their retained state has not come).",
		}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_county_requests_total",
			Help: "Requests sent to sites, by action and result: ok, refused (the site said no), no_reply, error.",
		}, []string{"action", "result"}),
	}
}

// discardMetrics are metrics registered nowhere.
func discardMetrics() *metrics { return newMetrics() }

func (m *metrics) register(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{m.records, m.rejected, m.duplicates, m.stale, m.outOfOrder, m.gaps, m.lag,
		m.open, m.sites, m.connected, m.swept, m.refetched, m.missing, m.requests} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("county: register metrics: %w", err)
		}
	}
	return nil
}
