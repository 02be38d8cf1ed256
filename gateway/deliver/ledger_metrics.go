package deliver

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes counted in gridwatch_pages_total.
const (
	outcomeQueued     = "queued"      // a page went out for the first time
	outcomeDelivered  = "delivered"   // the person's client confirmed it
	outcomeResent     = "resent"      // sent again: not confirmed in time, or the app reconnected
	outcomeFallenBack = "fallen_back" // handed to SMS after the app did not confirm in time
	outcomeFailed     = "failed"      // a fallback channel gave it up
	outcomeDuplicate  = "duplicate"   // the same page again (a replayed raise); not queued twice
	outcomeGivenUp    = "given_up"    // its alarm closed before it was delivered
	outcomeExpiredPg  = "expired"     // still undelivered after the retention
)

// ledgerMetrics are the page series of a Ledger.
type ledgerMetrics struct {
	pages       *prometheus.CounterVec   // {channel, outcome}
	seconds     *prometheus.HistogramVec // {channel}
	storeErrors prometheus.Counter
}

func newLedgerMetrics(reg prometheus.Registerer, pending func() int) (*ledgerMetrics, error) {
	m := &ledgerMetrics{
		pages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_pages_total",
			Help: "Pages to staff by channel (app, sms) and outcome (queued, delivered, resent, fallen_back, failed, duplicate, given_up, expired, corrupt).",
		}, []string{"channel", "outcome"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gridwatch_page_delivery_seconds",
			Help:    "Time from a page being queued to the person's client confirming it, by the channel that delivered it.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900},
		}, []string{"channel"}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_page_ledger_store_errors_total",
			Help: "Writes of the page ledger (pages.db) that failed; the pages stay in memory and are written again.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	gauge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gridwatch_pages_pending",
		Help: "Pages not yet confirmed by the person's client (queued, fallen back or failed).",
	}, func() float64 { return float64(pending()) })
	for _, c := range []prometheus.Collector{m.pages, m.seconds, m.storeErrors, gauge} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("page ledger metrics: %w", err)
		}
	}
	return m, nil
}
