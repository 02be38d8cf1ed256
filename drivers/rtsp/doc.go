// Package rtsp pulls a camera's video from its RTSP URL and hands it, as
// RTP/UDP, to the camera's RTP listener on loopback (drivers/rtpstream),
// so that a camera the gateway pulls is judged, and recorded, exactly
// like one that pushes RTP.
//
// The RTSP client is Debian's ffmpeg, run as a supervised child process
// per camera (the way Frigate runs it):
//
//	ffmpeg -rtsp_transport tcp -timeout 10000000 -i rtsp://cam/… -map 0:v:0 -c copy -f rtp rtp://127.0.0.1:PORT
//
// ffmpeg speaks RTSP over TCP (interleaved) or UDP, Basic and Digest
// authentication, RTSPS, and the quirks of real cameras; the gateway never
// parses RTSP itself. A Puller runs one ffmpeg until it exits; its
// Supervisor (gateway/edge) starts it again with backoff. From ffmpeg's
// log the Puller learns the codec the camera sends (h264, hevc) and, when
// ffmpeg gives up, why: a refused login, an unreachable host, a path the
// camera does not serve. That reason is a log line, a metric
// (gridwatch_rtsp_*), and the camera's device state: the Sink the Puller
// wraps adds rtsp_* fields to the listener's telemetry and to its
// stream.degraded and video.loss events.
//
// Credentials never reach a log, an error or the API: every URL and every
// line of ffmpeg's output is redacted (Redact, Scrub) before it leaves
// this package. They do reach ffmpeg's argument list, which the gateway's
// systemd unit hides from other users (DynamicUser=yes,
// ProtectProc=invisible).
package rtsp
