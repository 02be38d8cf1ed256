package rtsp

import (
	"time"

	"github.com/gridwatch/gridwatch/gateway/edge"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// Annotate returns the Sink to give the RTP listener of the camera
// device: it passes everything on to next, adding the pull's state (from
// status, normally its Puller's Status) to the camera's
// telemetry (rtsp_state, rtsp_codec, rtsp_error) and to its
// stream.degraded and video.loss events (rtsp_state, rtsp_error,
// rtsp_reason), so that a camera whose stream is lost because its login
// is refused says so in its device state and its alarm.
//
// The listener is built before its Puller (which sends to it), so status
// is a function: it is first called once the listener runs.
func Annotate(next edge.Sink, device string, status func() Status) edge.Sink {
	return &sink{device: device, status: status, next: next}
}

type sink struct {
	device string
	status func() Status
	next   edge.Sink
}

var _ edge.Sink = (*sink)(nil)

func (s *sink) Event(ev event.Event) {
	if ev.Device == s.device && (ev.Type == event.StreamDegraded || ev.Type == event.VideoLoss) {
		st := s.status()
		data := make(map[string]any, len(ev.Data)+3)
		for k, v := range ev.Data {
			data[k] = v
		}
		data["rtsp_state"] = st.State
		if st.Reason != "" {
			data["rtsp_reason"] = st.Reason
			data["rtsp_error"] = st.Error
		}
		ev.Data = data
	}
	s.next.Event(ev)
}

func (s *sink) Telemetry(t event.Telemetry) {
	if t.Device == s.device {
		st := s.status()
		f := make(map[string]any, len(t.Fields)+4)
		for k, v := range t.Fields {
			f[k] = v
		}
		f["rtsp_state"] = st.State
		f["rtsp_up"] = st.State == StateStreaming
		if st.Codec != "" {
			f["rtsp_codec"] = st.Codec
		}
		if st.Reason != "" {
			f["rtsp_reason"] = st.Reason
			f["rtsp_error"] = st.Error
		}
		t.Fields = f
	}
	s.next.Telemetry(t)
}

func (s *sink) Alive(device string, at time.Time) { s.next.Alive(device, at) }
