package rtsp

import "github.com/prometheus/client_golang/prometheus"

// collector exports one Puller's Status as gridwatch_rtsp_* metrics, read
// at scrape time. The device is a constant label; several Pullers share
// one Registerer.
type collector struct {
	status func() Status

	up, starts, streams, failures, codec *prometheus.Desc
}

var _ prometheus.Collector = (*collector)(nil)

func newCollector(device string, status func() Status) *collector {
	l := prometheus.Labels{"device": device}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("gridwatch_rtsp_"+name, help, labels, l)
	}
	return &collector{
		status:   status,
		up:       d("up", "1 while ffmpeg has the camera's RTSP stream and sends it to the camera's RTP listener, else 0."),
		starts:   d("starts_total", "ffmpeg runs started to pull the camera (the first, and every reconnect)."),
		streams:  d("streams_total", "ffmpeg runs that got the camera's stream."),
		failures: d("failures_total", "Pulls that ended, by reason (unauthorized, refused, unreachable, timeout, not_found, …).", "reason"),
		codec:    d("codec_info", "1 for the video codec the camera sends, as ffmpeg found it (h264, hevc).", "codec"),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.starts, c.streams, c.failures, c.codec} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.status()
	up := 0.0
	if st.State == StateStreaming {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
	ch <- prometheus.MustNewConstMetric(c.starts, prometheus.CounterValue, float64(st.Starts))
	ch <- prometheus.MustNewConstMetric(c.streams, prometheus.CounterValue, float64(st.Streams))
	for _, r := range Reasons {
		ch <- prometheus.MustNewConstMetric(c.failures, prometheus.CounterValue, float64(st.Failures[r]), r)
	}
	if st.Codec != "" {
		ch <- prometheus.MustNewConstMetric(c.codec, prometheus.GaugeValue, 1, st.Codec)
	}
}
