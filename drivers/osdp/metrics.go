package osdp

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/serialline"
)

// metricOpts are the OSDP driver's names for the serial bus counters.
var metricOpts = serialline.MetricOpts{
	Rejected: prometheus.CounterOpts{
		Name: "gridwatch_serial_frames_rejected_total",
		Help: "Serial frames or runs of bytes rejected, by bus and reason (bad_crc, garbage, gap_timeout, ...).",
	},
	Timeouts: prometheus.CounterOpts{
		Name: "gridwatch_osdp_reply_timeouts_total",
		Help: "OSDP commands that got no valid reply in time, by bus.",
	},
	Events: prometheus.CounterOpts{
		Name: "gridwatch_osdp_events_total",
		Help: "Events emitted by the OSDP driver, by bus and type.",
	},
}
