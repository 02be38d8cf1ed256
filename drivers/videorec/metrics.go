package videorec

import "github.com/prometheus/client_golang/prometheus"

// collector exports one recorder's ring and clips as gridwatch_video_*
// metrics, read from a snapshot at scrape time; the device is a constant
// label, so several recorders share one Registerer.
type collector struct {
	r                                      *Recorder
	bytes, capacity, frames, span, dropped *prometheus.Desc
	evicted, clips                         *prometheus.Desc
}

var _ prometheus.Collector = (*collector)(nil)

func newCollector(r *Recorder) *collector {
	l := prometheus.Labels{"device": r.cfg.Device}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("gridwatch_video_"+name, help, labels, l)
	}
	return &collector{r: r,
		bytes:    d("ring_bytes", "Bytes of video in the camera's pre-alarm ring."),
		capacity: d("ring_capacity_bytes", "Memory the camera's ring holds in chunks (up to its cap; outside the Go heap)."),
		frames:   d("ring_frames", "Frames in the camera's ring."),
		span:     d("ring_seconds", "Media time the camera's ring covers, from its oldest keyframe."),
		dropped:  d("ring_dropped_frames_total", "Frames the ring could not keep, by reason: wait_keyframe (none since start, a camera restart or an overflow), oversize (a group of pictures beyond the memory cap).", "reason"),
		evicted:  d("ring_evicted_frames_total", "Frames that aged out of the ring (or made room under its cap)."),
		clips:    d("clips_total", "Clips asked of the camera's recorder, by outcome: ok, no_video, unsupported_codec, failed.", "outcome"),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.bytes, c.capacity, c.frames, c.span, c.dropped, c.evicted, c.clips} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.r.ring.stats()
	g := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	k := func(d *prometheus.Desc, v int64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	g(c.bytes, float64(st.bytes))
	g(c.capacity, float64(st.capacity))
	g(c.frames, float64(st.frames))
	g(c.span, st.span.Seconds())
	k(c.dropped, st.dropsWait, DropWaitKey)
	k(c.dropped, st.dropsOver, DropOversize)
	k(c.evicted, st.evicted)
	for i, name := range outcomeNames {
		k(c.clips, c.r.clips[i].Load(), name)
	}
}
