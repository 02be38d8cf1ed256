package escalate

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the desk's Prometheus series.
type metrics struct {
	open          *prometheus.GaugeVec   // {severity}
	raised        *prometheus.CounterVec // {severity, rule}
	steps         *prometheus.CounterVec // {severity, step, late}
	notifications *prometheus.CounterVec // {channel, outcome}
	storeErrors   prometheus.Counter
	repages       *prometheus.CounterVec // {severity, reason}
	latency       latency
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gridwatch_alarms_open",
			Help: "Alarms not closed, by severity.",
		}, []string{"severity"}),
		raised: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_alarm_raised_total",
			Help: "Alarms raised (not joined), by severity and rule.",
		}, []string{"severity", "rule"}),
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_escalation_steps_total",
			Help: "Escalation steps sent, by severity, step and whether they went out after their deadline.",
		}, []string{"severity", "step", "late"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_notifications_total",
			Help: "Pages to staff, by channel and outcome (ok, error).",
		}, []string{"channel", "outcome"}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_alarm_store_errors_total",
			Help: "Failed saves of the alarm store (retried with backoff).",
		}),
		repages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_alarm_repages_total",
			Help: "Re-pages, by severity and reason (repeat: not acknowledged; no arrival: acknowledged, nobody on scene).",
		}, []string{"severity", "reason"}),
		latency: newLatency(),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range append([]prometheus.Collector{m.open, m.raised, m.steps, m.notifications, m.storeErrors, m.repages}, m.latency.collectors()...) {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("escalate metrics (one desk per registerer): %w", err)
		}
	}
	return m, nil
}
