package wire

import (
	"bytes"
	"errors"
	"time"
)

// InterCharTimeout is the gap after which a receiver abandons a partly
// received frame.
const InterCharTimeout = 20 * time.Millisecond

// Reader reassembles frames from a serial byte stream. It skips mark bytes,
// hunts for the next SOM after garbage or a failed check, and abandons a
// partial frame after an inter-character gap longer than InterCharTimeout.
// Time is an input: the caller says when each chunk arrived. A Reader buffers
// at most MaxFrameLen bytes plus one pushed chunk. It is not safe for
// concurrent use.
type Reader struct {
	buf  []byte
	last time.Time
	gap  time.Duration
}

// NewReader returns an empty Reader with the standard 20 ms gap.
func NewReader() *Reader { return &Reader{gap: InterCharTimeout} }

// Push adds the bytes p that arrived at now. If a partial frame was waiting
// and the line was quiet for longer than the inter-character gap, the
// partial frame is abandoned first and a *FrameError with ReasonGap returned
// (p is still taken); the hunt for SOM restarts after the abandoned frame's
// first byte, so a frame swallowed by a false SOM in noise is still found.
// Push(now, nil) only checks the gap.
func (r *Reader) Push(now time.Time, p []byte) error {
	var err error
	if r.pending() && now.Sub(r.last) > r.gap {
		err = reject(ReasonGap, "%d bytes of a frame, then %v of silence", len(r.buf), now.Sub(r.last))
		// The SOM may have been false (noise), its LEN swallowing a real
		// frame: hunt again from the byte after it.
		if i := bytes.IndexByte(r.buf[1:], SOM); i >= 0 {
			r.consume(i + 1)
		} else {
			r.buf = r.buf[:0]
		}
	}
	if len(p) > 0 {
		r.buf = append(r.buf, p...)
		r.last = now
	}
	return err
}

// pending reports whether bytes other than idle mark bytes are buffered.
func (r *Reader) pending() bool {
	for _, c := range r.buf {
		if c != Mark {
			return true
		}
	}
	return false
}

// Buffered is the number of bytes waiting for the rest of a frame.
func (r *Reader) Buffered() int { return len(r.buf) }

// Reset drops everything buffered.
func (r *Reader) Reset() { r.buf = r.buf[:0] }

// Next returns the next complete frame, which owns its bytes, and its raw
// encoding (without mark). It returns ErrIncomplete when more bytes are
// needed, or a *FrameError for a rejected run of bytes, after which the
// caller should call Next again.
func (r *Reader) Next() (Frame, []byte, error) {
	// Idle mark bytes between frames are not garbage.
	i := 0
	for i < len(r.buf) && r.buf[i] == Mark {
		i++
	}
	r.consume(i)
	if len(r.buf) == 0 {
		return Frame{}, nil, ErrIncomplete
	}
	if r.buf[0] != SOM {
		skip := bytes.IndexByte(r.buf, SOM)
		if skip < 0 {
			skip = len(r.buf)
		}
		r.consume(skip)
		return Frame{}, nil, reject(ReasonGarbage, "%d bytes outside any frame", skip)
	}
	f, n, err := Decode(r.buf)
	if errors.Is(err, ErrIncomplete) {
		return Frame{}, nil, ErrIncomplete
	}
	if err != nil {
		// The SOM was false or the frame damaged: hunt from the next byte.
		r.consume(1)
		return Frame{}, nil, err
	}
	raw := bytes.Clone(r.buf[:n])
	f.SCB, f.Data, f.MAC = bytes.Clone(f.SCB), bytes.Clone(f.Data), bytes.Clone(f.MAC)
	r.consume(n)
	return f, raw, nil
}

func (r *Reader) consume(n int) {
	r.buf = r.buf[:copy(r.buf, r.buf[n:])]
}
