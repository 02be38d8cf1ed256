package rtpstream

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/h264"
)

// collector exports one listener's statistics as gridwatch_rtp_* metrics,
// read from a snapshot at scrape time, so the metrics always agree with
// Status. Each listener's descriptors carry its device as a constant
// label; several listeners share one Registerer.
type collector struct {
	status func() Status

	packets, lost, dup, reordered, bytes, frames, malformed, ssrc, foreign *prometheus.Desc
	jitter, bitrate, fps, loss, up, age                                    *prometheus.Desc
	units, keyframes, droppedUnits, rejects, keyInterval, codec            *prometheus.Desc
}

var _ prometheus.Collector = (*collector)(nil)

func newCollector(device string, status func() Status) *collector {
	l := prometheus.Labels{"device": device}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("gridwatch_rtp_"+name, help, labels, l)
	}
	return &collector{
		status:    status,
		packets:   d("packets_total", "Distinct RTP packets received from the camera (duplicates not counted)."),
		lost:      d("lost_packets_total", "RTP packets lost by sequence number (RFC 3550 expected minus received), never decreasing."),
		dup:       d("duplicate_packets_total", "Duplicate RTP packets dropped."),
		reordered: d("reordered_packets_total", "RTP packets that arrived after a later one."),
		bytes:     d("received_bytes_total", "RTP bytes (header and payload) of the distinct packets received."),
		frames:    d("frames_total", "Video frames ended (marker bits, or timestamp changes)."),
		malformed: d("malformed_total", "Datagrams on the camera's RTP port dropped as malformed, by reason.", "reason"),
		ssrc:      d("ssrc_changes_total", "Times the camera's stream started with a new SSRC (camera restarts)."),
		foreign:   d("foreign_packets_total", "RTP packets dropped because another source (address or SSRC) sent them while the camera's current one streamed."),
		jitter:    d("jitter_seconds", "RFC 3550 interarrival jitter of the current stream."),
		// promtool wants base units: bytes, not bits (bit/s = 8 × this).
		bitrate: d("rate_bytes_per_second", "RTP data rate (header and payload) over the health window."),
		fps:     d("frames_per_second", "Frame rate over the health window."),
		loss:    d("loss_ratio", "Fraction of expected packets lost over the health window (0-1)."),
		up:      d("stream_up", "1 while the stream is flowing and healthy, else 0."),
		age:     d("last_packet_age_seconds", "Seconds since the last RTP packet (since start if none yet)."),

		units:        d("access_units_total", "Whole H.264 pictures depacketised from the camera's stream."),
		keyframes:    d("keyframes_total", "H.264 keyframes (IDR with SPS and PPS) in the camera's stream."),
		droppedUnits: d("dropped_access_units_total", "H.264 pictures dropped: a packet of theirs was lost or malformed."),
		rejects:      d("depacketize_rejects_total", "Malformed H.264 RTP payloads, by reason.", "reason"),
		keyInterval:  d("keyframe_interval_seconds", "Time between the stream's last two keyframes (0 until two were seen)."),
		codec:        d("codec_info", "1 for the codec the camera sends (h264; h265 is recognised but not recorded).", "codec"),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.packets, c.lost, c.dup, c.reordered, c.bytes, c.frames, c.malformed,
		c.ssrc, c.foreign, c.jitter, c.bitrate, c.fps, c.loss, c.up, c.age,
		c.units, c.keyframes, c.droppedUnits, c.rejects, c.keyInterval, c.codec} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.status()
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter(c.packets, st.Received)
	counter(c.lost, st.Lost)
	counter(c.dup, st.Duplicates)
	counter(c.reordered, st.Reordered)
	counter(c.bytes, st.Bytes)
	counter(c.frames, st.Frames)
	for _, r := range malformedReasons {
		counter(c.malformed, st.Malformed[r], r)
	}
	counter(c.ssrc, st.SSRCChanges)
	counter(c.foreign, st.Foreign)
	gauge(c.jitter, st.Jitter.Seconds())
	gauge(c.bitrate, st.BitrateBPS/8)
	gauge(c.fps, st.FPS)
	gauge(c.loss, st.LossPct/100)
	up := 0.0
	if st.State == StateUp {
		up = 1
	}
	gauge(c.up, up)
	gauge(c.age, st.Age.Seconds())
	counter(c.units, st.Video.AccessUnits)
	counter(c.keyframes, st.Video.Keyframes)
	counter(c.droppedUnits, st.Video.DroppedUnits)
	for _, r := range h264.RejectReasons {
		counter(c.rejects, st.Video.Rejects[r], r)
	}
	gauge(c.keyInterval, st.Video.KeyframeInterval.Seconds())
	if st.Video.Codec != "" {
		ch <- prometheus.MustNewConstMetric(c.codec, prometheus.GaugeValue, 1, st.Video.Codec)
	}
}
