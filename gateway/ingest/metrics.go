package ingest

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
)

type metrics struct {
	acceptedVec *prometheus.CounterVec
	rejectedVec *prometheus.CounterVec
	shedVec     *prometheus.CounterVec // rate-limited messages by class
	flagged     prometheus.Counter     // flood episodes (device.flooding raised)
}

func newMetrics(reg prometheus.Registerer, transport string) (*metrics, error) {
	m := &metrics{
		acceptedVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "gridwatch_ingest_messages_total",
			Help:        "Messages accepted, by contract topic kind.",
			ConstLabels: prometheus.Labels{"transport": transport},
		}, []string{"kind"}),
		rejectedVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "gridwatch_ingest_rejected_total",
			Help:        "Inputs refused, by reason.",
			ConstLabels: prometheus.Labels{"transport": transport},
		}, []string{"reason"}),
		shedVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "gridwatch_ingest_rate_limited_total",
			Help:        "Messages refused for a device's flood budget, by class (telemetry is shed first, panic presses have their own budget).",
			ConstLabels: prometheus.Labels{"transport": transport},
		}, []string{"class"}),
		flagged: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "gridwatch_ingest_devices_flagged_total",
			Help:        "Flood episodes: devices flagged as flooding (one device.flooding event each).",
			ConstLabels: prometheus.Labels{"transport": transport},
		}),
	}
	for _, c := range []class{classTelemetry, classEvent, classPanic} {
		m.shedVec.WithLabelValues(c.String())
	}
	// Every reason is present from the start so dashboards see zeros.
	for _, r := range []event.Reason{event.Malformed, event.Oversize, event.UnknownDevice, event.UnknownStaff,
		event.BadType, event.Duplicate, event.RateLimited, event.Unavailable} {
		m.rejectedVec.WithLabelValues(string(r))
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.acceptedVec, m.rejectedVec, m.shedVec, m.flagged} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *metrics) accepted(k wire.Kind)    { m.acceptedVec.WithLabelValues(k.String()).Inc() }
func (m *metrics) rejected(r event.Reason) { m.rejectedVec.WithLabelValues(string(r)).Inc() }
func (m *metrics) shed(c class)            { m.shedVec.WithLabelValues(c.String()).Inc() }
