package rtpstream

import (
	"time"

	"github.com/pion/rtp"
)

// stream is the receiver statistics of one SSRC (RFC 3550 §6.4.1, A.1,
// A.8). It is not safe for concurrent use; the Listener guards it.
type stream struct {
	ssrc      uint32
	clockRate int64
	seq       sequence

	received   int64 // distinct packets (duplicates not counted)
	duplicates int64
	reordered  int64
	jumps      int64 // packets dropped as a far jump (RFC 3550 "bad_seq")
	restarts   int64 // sequence restarts confirmed
	bytes      int64 // RTP bytes (header + payload) of the distinct packets
	markers    int64 // packets with the marker bit: frames ended
	tsChanges  int64 // in-order packets whose timestamp differs from the one before

	origin      time.Time // arrival of the first packet; arrivals are measured from it
	last        time.Time // arrival of the latest packet
	haveTransit bool
	lastArrival int64  // arrival of the previous packet, in clock units since origin
	lastTS      uint32 // RTP timestamp of the previous packet
	orderTS     uint32 // RTP timestamp of the latest in-order packet
	jitter      float64
}

func newStream(ssrc uint32, clockRate int) *stream {
	return &stream{ssrc: ssrc, clockRate: int64(clockRate)}
}

// packet files one packet of this SSRC that arrived at arrival (a
// monotonic time) and was size bytes long.
func (s *stream) packet(h *rtp.Header, size int, arrival time.Time) outcome {
	first := !s.seq.started
	out := s.seq.update(h.SequenceNumber)
	switch out {
	case duplicate:
		s.duplicates++
		return out
	case jumped:
		s.jumps++
		return out
	case restarted:
		s.restarts++
	case late:
		s.reordered++
	}
	if first {
		s.origin = arrival
		s.orderTS = h.Timestamp
	}
	s.last = arrival
	s.received++
	s.bytes += int64(size)
	if h.Marker {
		s.markers++
	}
	if out != late && !first && h.Timestamp != s.orderTS {
		s.tsChanges++
	}
	if out != late {
		s.orderTS = h.Timestamp
	}
	s.updateJitter(h.Timestamp, arrival)
	return out
}

// updateJitter applies RFC 3550 A.8: D = (Rj − Ri) − (Sj − Si) in
// timestamp units, J += (|D| − J)/16.
func (s *stream) updateJitter(ts uint32, arrival time.Time) {
	now := s.units(arrival.Sub(s.origin))
	if s.haveTransit {
		d := float64((now - s.lastArrival) - int64(int32(ts-s.lastTS)))
		if d < 0 {
			d = -d
		}
		s.jitter += (d - s.jitter) / 16
	}
	s.haveTransit = true
	s.lastArrival, s.lastTS = now, ts
}

// units converts a duration into clock units without overflowing for
// streams that run for years.
func (s *stream) units(d time.Duration) int64 {
	return int64(d/time.Second)*s.clockRate + int64(d%time.Second)*s.clockRate/int64(time.Second)
}

// expected is how many packets the sender sent, by sequence numbers.
func (s *stream) expected() int64 { return s.seq.expected() }

// lost is expected − received; it can shrink when a late packet arrives.
func (s *stream) lost() int64 { return s.expected() - s.received }

// frames counts ended frames: marker bits, or for a sender that sets none,
// timestamp changes.
func (s *stream) frames() int64 {
	if s.markers > 0 {
		return s.markers
	}
	return s.tsChanges
}

// jitterDuration is the smoothed interarrival jitter as a duration.
func (s *stream) jitterDuration() time.Duration {
	return time.Duration(s.jitter / float64(s.clockRate) * float64(time.Second))
}
