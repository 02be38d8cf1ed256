package rtpstream

import "github.com/pion/rtp"

// reorderWindow is how many packets past a gap the video waits for the
// missing one (about 40 ms of a 2 Mbit/s camera) before it gives it up.
const reorderWindow = 8

// held is a packet waiting for the one before it.
type held struct {
	used    bool
	hdr     rtp.Header // only SSRC, sequence number, timestamp and marker
	payload []byte     // reused
}

// reorder puts a camera's packets back in sequence order for the
// depacketizer: a packet that comes after a gap is held until the missing
// one arrives or reorderWindow packets have, so a swapped pair costs no
// picture. It copies what it holds into buffers it reuses. Not safe for
// concurrent use.
type reorder struct {
	have  bool
	ssrc  uint32
	next  uint16 // the sequence number the depacketizer wants next
	held  [2 * reorderWindow]held
	count int
}

// packet files one packet (in order, late or after a gap) and hands
// deliver every packet that is now in sequence — or, once the window is
// full, what is held, in order, over the gap.
func (r *reorder) packet(h *rtp.Header, payload []byte, restarted bool, deliver func(*rtp.Header, []byte)) {
	if !r.have || h.SSRC != r.ssrc || restarted {
		r.flush(deliver)
		r.have, r.ssrc, r.next = true, h.SSRC, h.SequenceNumber
	}
	switch d := int16(h.SequenceNumber - r.next); {
	case d == 0:
		deliver(h, payload)
		r.next++
		r.drain(deliver)
	case d < 0: // older than what was delivered: given up on already
	case int(d) < len(r.held):
		s := &r.held[h.SequenceNumber%uint16(len(r.held))]
		if !s.used {
			s.used = true
			s.hdr = rtp.Header{Version: 2, SSRC: h.SSRC, SequenceNumber: h.SequenceNumber, Timestamp: h.Timestamp, Marker: h.Marker}
			s.payload = append(s.payload[:0], payload...)
			r.count++
		}
		if r.count >= reorderWindow {
			r.skip(deliver)
		}
	default: // far ahead: the held ones will not be completed
		r.flush(deliver)
		r.next = h.SequenceNumber
		deliver(h, payload)
		r.next++
	}
}

// drain delivers the held packets that are now in sequence.
func (r *reorder) drain(deliver func(*rtp.Header, []byte)) {
	for r.count > 0 {
		s := &r.held[r.next%uint16(len(r.held))]
		if !s.used {
			return
		}
		if s.hdr.SequenceNumber != r.next { // cannot be; never let it stall a flush
			s.used = false
			r.count--
			return
		}
		s.used = false
		r.count--
		deliver(&s.hdr, s.payload)
		r.next++
	}
}

// skip gives up on the missing packets before the oldest held one.
func (r *reorder) skip(deliver func(*rtp.Header, []byte)) {
	for r.count > 0 && !r.held[r.next%uint16(len(r.held))].used {
		r.next++
	}
	r.drain(deliver)
}

// flush delivers everything held, in order, over any gaps.
func (r *reorder) flush(deliver func(*rtp.Header, []byte)) {
	for r.count > 0 {
		r.skip(deliver)
	}
}
