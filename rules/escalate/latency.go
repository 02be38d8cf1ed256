package escalate

import (
	"strconv"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/prometheus/client_golang/prometheus"
)

// latencyBuckets span a few seconds to a day, in seconds.
var latencyBuckets = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 43200, 86400}

// latency holds the per-alarm latency histograms: from the triggering
// event's time to the first page, the ack, the arrival and the resolution,
// by severity and the grid level of the device's cell.
type latency struct {
	firstPage, ack, arrive, resolve *prometheus.HistogramVec
}

func newLatency() latency {
	h := func(name, help string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: name, Help: help, Buckets: latencyBuckets,
		}, []string{"severity", "grid_level"})
	}
	return latency{
		firstPage: h("gridwatch_alarm_first_page_seconds", "From the triggering event to the alarm's first page, by severity and grid level."),
		ack:       h("gridwatch_alarm_ack_seconds", "From the triggering event to the acknowledgement, by severity and grid level."),
		arrive:    h("gridwatch_alarm_arrive_seconds", "From the triggering event to someone on scene, by severity and grid level."),
		resolve:   h("gridwatch_alarm_resolve_seconds", "From the triggering event to resolution by staff, by severity and grid level."),
	}
}

func (l latency) collectors() []prometheus.Collector {
	return []prometheus.Collector{l.firstPage, l.ack, l.arrive, l.resolve}
}

// observe records one transition of the alarm at atMS. The desk calls it
// only when a transition happens in memory (never when alarms are loaded
// after a restart or journal events at or below the checkpoint are
// replayed), so each alarm counts once per transition per process.
func (o *owner) observe(h *prometheus.HistogramVec, a *alarm.Alarm, atMS int64) {
	from := a.EventMS
	if from <= 0 || from > atMS+lateGrace.Milliseconds() { // no or implausible event time
		from = a.RaisedMS
	}
	level := "unknown"
	if g, ok := o.d.registry().Grid(a.Grid); ok {
		level = strconv.Itoa(g.Level)
	}
	h.WithLabelValues(string(a.Severity), level).Observe(max(float64(atMS-from)/1000, 0))
}

// observeAction records the latency of a staff action just applied.
func (o *owner) observeAction(a *alarm.Alarm, act event.Action) {
	switch act.Kind {
	case event.Ack:
		o.observe(o.d.m.latency.ack, a, act.At)
	case event.Arrive:
		o.observe(o.d.m.latency.arrive, a, act.At)
	case event.Resolve:
		o.observe(o.d.m.latency.resolve, a, act.At)
	}
}
