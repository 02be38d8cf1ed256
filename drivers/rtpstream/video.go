package rtpstream

import (
	"fmt"
	"time"

	"github.com/pion/rtp"

	"github.com/gridwatch/gridwatch/drivers/h264"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// VideoCodecUnsupported is an event this driver adds: the camera sends a
// codec the gateway cannot record (H.265), told from the packets or named
// by the config. Raised once per source (SSRC).
const VideoCodecUnsupported = event.VideoCodecUnsupported

// VideoSink takes a camera's pictures as the listener depacketises them
// (a videorec.Recorder). Its methods are called on the listener's
// goroutine under its lock: they must not block (a bounded copy is fine).
type VideoSink interface {
	// AccessUnit hands over one picture that arrived at at; au.Data is
	// only valid during the call.
	AccessUnit(au h264.AccessUnit, at time.Time)
	// Codec says the stream's codec, when it becomes known or changes.
	Codec(codec string)
}

// video is the listener's view inside the packets: the H.264
// depacketizer and what it tells. Not safe for concurrent use; the
// Listener guards it with the monitor.
type video struct {
	order   reorder
	dep     *h264.Depacketizer
	sink    VideoSink
	at      time.Time // arrival of the packet being filed
	codec   string    // as last told to the sink
	pending []event.Event
}

func newVideo(cfg Config, sink VideoSink) *video {
	v := &video{sink: sink}
	v.dep = h264.New(h264.Config{ClockRate: cfg.ClockRate, Codec: cfg.Codec}, v.emit)
	return v
}

func (v *video) emit(au h264.AccessUnit) {
	if v.sink != nil {
		v.sink.AccessUnit(au, v.at)
	}
}

// packet files the payload of a packet that is new to the stream (not a
// duplicate or an unconfirmed jump) in sequence order: a late packet
// fills its gap if it comes within the reorder window.
func (v *video) packet(device string, h *rtp.Header, payload []byte, restarted bool, at time.Time) {
	v.at = at
	v.order.packet(h, payload, restarted, v.dep.Packet)
	c := v.dep.Codec()
	if c == v.codec {
		return
	}
	v.codec = c
	if v.sink != nil {
		v.sink.Codec(c)
	}
	if c == h264.CodecH265 {
		v.pending = append(v.pending, event.Event{Device: device, Type: VideoCodecUnsupported,
			TS: at.UnixMilli(), Received: at.UnixMilli(), Source: event.SourceRTP,
			Data: map[string]any{"codec": c, "ssrc": fmt.Sprintf("%08x", h.SSRC), "reason": "clips need H.264"}})
	}
}

// events takes the events waiting to be handed on.
func (v *video) events() []event.Event {
	evs := v.pending
	v.pending = nil
	return evs
}

// VideoStatus is what the listener knows of the video inside the packets.
type VideoStatus struct {
	// Codec is "h264", "h265" (recognised, not recordable) or empty while
	// unknown.
	Codec string
	// AccessUnits are whole pictures depacketised, Keyframes those that
	// are IDR pictures with SPS and PPS; DroppedUnits pictures lost to
	// packet loss or malformed packets.
	AccessUnits, Keyframes, DroppedUnits int64
	// KeyframeInterval is the time between the last two keyframes (by RTP
	// timestamps), 0 until two were seen.
	KeyframeInterval time.Duration
	// Rejects counts malformed H.264 payloads by reason (h264.RejectReasons).
	Rejects map[string]int64
}

func (v *video) status() VideoStatus {
	st := v.dep.Stats()
	vs := VideoStatus{Codec: st.Codec, AccessUnits: st.Units, Keyframes: st.Keyframes, DroppedUnits: st.Dropped,
		KeyframeInterval: st.KeyInterval, Rejects: make(map[string]int64, h264.NumRejects)}
	for i, r := range h264.RejectReasons {
		vs.Rejects[r] = st.Rejects[i]
	}
	return vs
}
