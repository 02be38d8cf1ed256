package devices

import "github.com/prometheus/client_golang/prometheus"

// Collector exports how many devices are in each state, by kind and grid
// cell, computed from the tracker at scrape time (gridwatch_devices).
// Unregistered ids are counted under kind and grid "".
type Collector struct {
	t    *Tracker
	desc *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// Collector returns the tracker's metrics collector; register it once.
func (t *Tracker) Collector() *Collector {
	return &Collector{t: t, desc: prometheus.NewDesc("gridwatch_devices",
		"Devices by state (online, offline, unknown, unregistered), kind and grid cell.",
		[]string{"state", "kind", "grid"}, nil)}
}

// Describe sends the one descriptor.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect counts the devices now.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	type key struct{ state, kind, grid string }
	counts := make(map[key]int)
	for _, st := range c.t.List() {
		counts[key{st.State, string(st.Kind), st.Grid}]++
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), k.state, k.kind, k.grid)
	}
}
