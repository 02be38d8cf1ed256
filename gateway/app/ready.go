package app

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// ready says why the gateway would not answer /readyz with 200 (nil when
// it would): the transport serves or is connected, the journal has no
// write error and the escalation desk runs.
func (p *parts) ready() error {
	return errors.Join(p.transport.Ready(), p.journal.Err(), deskRunning(p.desk))
}

// registerReady exports gridwatch_ready: 1 when /readyz would answer 200,
// read at scrape time from the same ready func /readyz uses.
func registerReady(reg prometheus.Registerer, ready func() error) error {
	return reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gridwatch_ready",
		Help: "1 when the gateway is ready (/readyz answers 200), else 0.",
	}, func() float64 {
		if ready() != nil {
			return 0
		}
		return 1
	}))
}
