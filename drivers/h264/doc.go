// Package h264 turns a camera's RTP H.264 payloads (RFC 6184: single NAL
// unit, STAP-A and FU-A packets) into access units — one coded picture
// each, in Annex B form (start codes) — and keeps what a recorder needs to
// know about the stream: the latest SPS and PPS, which access units are
// keyframes (IDR), the keyframe interval, and whether the stream is H.264
// at all (an H.265 stream is recognised from its NAL headers and reported,
// never depacketised as H.264).
//
// The Depacketizer reuses its buffers: in the steady state it allocates
// nothing per packet. It follows the packet handling of pion/rtp's
// codecs.H264Packet (the tests check it against pion, packet for packet),
// which allocates several times per NAL unit and so cannot sit on a path
// that 32 cameras × 200 packets a second walk.
//
// The package is a codec: it opens nothing, runs no goroutine, and is not
// safe for concurrent use (the camera's listener owns it).
package h264
