// Package rtpstream watches the health of cameras' RTP/UDP video streams.
//
// One Listener per camera owns one UDP socket and one goroutine (Run). Each
// datagram's RTP header is parsed with pion/rtp and feeds RFC 3550
// receiver statistics of the current SSRC:
// expected, received and lost packets with 16-bit sequence wrap and the
// extended highest sequence number, duplicates, reordering, interarrival
// jitter (J += (|D| − J)/16 on a monotonic arrival clock), bytes and frames
// (marker bits, or timestamp changes for senders that set none). A new SSRC
// (a rebooted camera) starts fresh statistics; the cumulative counters go
// on. Datagrams that are not RTP version 2, or are truncated, are counted by
// reason and dropped.
//
// The payloads of in-order packets go through an H.264 depacketizer
// (drivers/h264): whole pictures, keyframes and the keyframe interval join
// the statistics, and each picture is handed to Options.Video (the
// camera's recorder, drivers/videorec). An H.265 stream is recognised and
// reported once per source with a video.codec_unsupported event.
//
// Once a second the listener judges the stream over a sliding window with
// hysteresis and hands events to its edge.Sink: stream.degraded (loss or jitter
// above threshold, or no packets), video.loss (no packets for a while) and
// stream.restored (healthy again for a hold time). Every TelemetryEvery it
// hands the Sink a telemetry sample with rtp_* fields, and it exports
// gridwatch_rtp_* metrics on the Registerer it is given.
//
// The package speaks only the nouns of gateway/event, and reports
// through the gateway's one edge for drivers, edge.Sink.
package rtpstream
