package modbus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gridwatch/gridwatch/drivers/modbus/wire"
)

// line is an open port with its receive buffer. err is sticky: once the
// port fails, the bus closes and reopens it.
type line struct {
	port  Port
	buf   []byte
	chunk []byte
	err   error
	// quietUntil is when the next request may go: after a request that
	// got no reply, the line stays quiet for the bus's QuietAfterTimeout.
	quietUntil time.Time
}

func newLine(p Port) *line {
	return &line{port: p, buf: make([]byte, 0, 2*wire.MaxADU), chunk: make([]byte, wire.MaxADU)}
}

// Errors of one transaction that are not port failures.
var (
	errNoReply  = errors.New("modbus: no reply")
	errBadReply = errors.New("modbus: no valid reply")
)

// transact sends req and waits for its answer, at most 1+retries times. An
// exception response is returned as an *wire.ExceptionError (the unit is
// alive). A port failure is returned as-is and stays in ln.err.
func (b *Bus) transact(ctx context.Context, ln *line, req wire.Request, retries int) (wire.Response, error) {
	var err error
	for range 1 + retries {
		var resp wire.Response
		resp, err = b.once(ctx, ln, req)
		if err == nil {
			if resp.Exception != 0 {
				b.m.exceptions.WithLabelValues(strconv.Itoa(int(resp.Exception))).Inc()
				return resp, resp.Err()
			}
			return resp, nil
		}
		if ln.err != nil || ctx.Err() != nil {
			return wire.Response{}, err
		}
	}
	return wire.Response{}, err
}

// once is one request and the wait for its reply: bytes are read until a
// valid answer turns up at any offset (noise before it is skipped and
// counted) or the deadline passes.
func (b *Bus) once(ctx context.Context, ln *line, req wire.Request) (wire.Response, error) {
	if ln == nil {
		return wire.Response{}, errors.New("modbus: port not open")
	}
	out, err := req.Encode()
	if err != nil {
		return wire.Response{}, err
	}
	if err := b.keepQuiet(ctx, ln); err != nil {
		return wire.Response{}, err
	}
	ln.buf = ln.buf[:0]
	if _, err := ln.port.Write(out); err != nil {
		ln.err = fmt.Errorf("modbus: write to %s: %w", b.cfg.Port, err)
		return wire.Response{}, ln.err
	}
	deadline := b.now().Add(b.cfg.Mode().TxTime(len(out)+replyLen(req)) + b.cfg.ReplyTimeout)
	for ctx.Err() == nil && b.now().Before(deadline) {
		n, err := ln.port.Read(ln.chunk)
		if err != nil {
			ln.err = fmt.Errorf("modbus: read from %s: %w", b.cfg.Port, err)
			return wire.Response{}, ln.err
		}
		if n == 0 {
			continue
		}
		if len(ln.buf)+n > cap(ln.buf) {
			ln.buf = ln.buf[:0] // a babbling line: keep the newest bytes only
			b.m.Rejected.WithLabelValues("overflow").Inc()
		}
		ln.buf = append(ln.buf, ln.chunk[:n]...)
		for i := range ln.buf {
			resp, _, err := wire.DecodeResponse(req, ln.buf[i:])
			if err == nil {
				if i > 0 {
					b.m.Rejected.WithLabelValues("garbage").Inc()
				}
				return resp, nil
			}
		}
	}
	if ctx.Err() != nil {
		return wire.Response{}, ctx.Err()
	}
	if len(ln.buf) == 0 {
		b.m.Timeouts.Inc()
		ln.quietUntil = b.now().Add(b.cfg.QuietAfterTimeout)
		return wire.Response{}, errNoReply
	}
	reason := "garbage"
	for i := range ln.buf {
		var fe *wire.FrameError
		if _, _, err := wire.DecodeResponse(req, ln.buf[i:]); errors.As(err, &fe) && fe.Reason == "bad_crc" {
			reason = "bad_crc"
			break
		}
	}
	b.m.Rejected.WithLabelValues(reason).Inc()
	return wire.Response{}, fmt.Errorf("%w: %d bytes, %s", errBadReply, len(ln.buf), reason)
}

// keepQuiet waits, reading and dropping what arrives (a late reply), until
// the line's quiet time after an unanswered request is over. It returns an
// error when the port fails or ctx is done.
func (b *Bus) keepQuiet(ctx context.Context, ln *line) error {
	for ctx.Err() == nil && b.now().Before(ln.quietUntil) {
		if _, err := ln.port.Read(ln.chunk); err != nil {
			ln.err = fmt.Errorf("modbus: read from %s: %w", b.cfg.Port, err)
			return ln.err
		}
	}
	return ctx.Err()
}

// replyLen is the length of a normal answer to req.
func replyLen(req wire.Request) int {
	switch req.Func {
	case wire.ReadCoils, wire.ReadDiscreteInputs:
		return 5 + (int(req.Count)+7)/8
	case wire.ReadHoldingRegisters, wire.ReadInputRegisters:
		return 5 + 2*int(req.Count)
	}
	return 8
}
