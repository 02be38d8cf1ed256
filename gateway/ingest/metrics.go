package ingest

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
)

type metrics struct {
	acceptedVec *prometheus.CounterVec
	rejectedVec *prometheus.CounterVec
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
	}
	// Every reason is present from the start so dashboards see zeros.
	for _, r := range []event.Reason{event.Malformed, event.Oversize, event.UnknownDevice, event.UnknownStaff,
		event.BadType, event.Duplicate, event.RateLimited, event.Unavailable} {
		m.rejectedVec.WithLabelValues(string(r))
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.acceptedVec, m.rejectedVec} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *metrics) accepted(k wire.Kind)    { m.acceptedVec.WithLabelValues(k.String()).Inc() }
func (m *metrics) rejected(r event.Reason) { m.rejectedVec.WithLabelValues(string(r)).Inc() }
