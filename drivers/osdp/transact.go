package osdp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
)

// line is the open port and its receive state.
type line struct {
	port Port
	r    *wire.Reader
	buf  []byte
}

var (
	errNoReply = errors.New("osdp: no reply after the last retry")
	errTimeout = errors.New("osdp: reply timeout")
	errResync  = errors.New("osdp: PD lost its link inside a secure channel")
)

// reasonUnexpected counts well-formed frames that are not the awaited reply
// (another address, a stale SQN, a command echoed on the line).
const reasonUnexpected = "unexpected"

// txTime is how long n bytes take on the line at baud, 8N1.
func txTime(n, baud int) time.Duration {
	return time.Duration(n) * 10 * time.Second / time.Duration(baud)
}

// nextSQN follows s: 0 (reset) → 1, then 1→2→3→1.
func nextSQN(s byte) byte { return s%3 + 1 }

// transact sends command tmpl (code, data, and for the handshake its
// security block) to p and returns its reply, resending the same bytes up to
// retries times after a timeout or BUSY. Inside a secure channel the command
// is MACed (and its data encrypted) and the reply checked and decrypted. In
// clear, a NAK for the sequence number resets the link (SQN 0) and counts as
// a try. It returns errNoReply when every try failed, errResync when a PD in
// a secure channel lost its link, an errSecure, or the port's error.
func (b *Bus) transact(ctx context.Context, ln *line, p *pd, tmpl wire.Frame, retries int) (wire.Frame, error) {
	tmpl.Addr, tmpl.CRC = p.addr, true
	sess := p.sess
	encode := func(sqn byte) ([]byte, error) {
		f := tmpl
		f.SQN = sqn
		if sess == nil {
			return f.Encode(true)
		}
		f.SCB = []byte{2, wire.SCBCmdMAC}
		if len(f.Data) > 0 {
			f.SCB[1], f.Data = wire.SCBCmdEnc, sess.Encrypt(sess.CommandIV(), f.Data)
		}
		return f.EncodeSealed(true, sess.SealCommand)
	}
	sqn := p.sqn
	out, err := encode(sqn)
	if err != nil {
		return wire.Frame{}, fmt.Errorf("osdp: encode %s for %s: %w", wire.CodeName(tmpl.Code, false), p.cfg.Device, err)
	}
	for attempt := 0; ; attempt++ {
		if _, err := ln.port.Write(out); err != nil {
			return wire.Frame{}, fmt.Errorf("osdp: write to %s: %w", b.cfg.Port, err)
		}
		reply, raw, err := b.await(ctx, ln, p.addr, sqn, b.cfg.ReplyTimeout+b.cfg.Mode().TxTime(len(out)))
		switch {
		case errors.Is(err, errTimeout):
			b.m.Timeouts.Inc()
		case err != nil:
			return wire.Frame{}, err
		case reply.Code == wire.ReplyBUSY && reply.SCB == nil:
		case reply.Code == wire.ReplyNAK && len(reply.Data) > 0 && reply.Data[0] == wire.NakSQN && sqn != 0:
			if sess != nil {
				p.sqn = 0
				return wire.Frame{}, errResync
			}
			b.log.Info("osdp: PD lost the sequence; resetting its link", "device", p.cfg.Device)
			sqn = 0
			if out, err = encode(0); err != nil {
				return wire.Frame{}, err
			}
			if attempt < retries {
				continue
			}
		default:
			p.sqn = nextSQN(sqn)
			p.lastReply = b.now()
			if sess != nil {
				return unseal(sess, reply, raw)
			}
			return reply, nil
		}
		if attempt >= retries {
			p.sqn = sqn
			return wire.Frame{}, errNoReply
		}
		if !sleep(ctx, b.cfg.RetryWait) {
			return wire.Frame{}, ctx.Err()
		}
	}
}

// await reads until a reply from addr with sqn arrives or timeout passes,
// counting everything rejected on the way. It returns the reply and its raw
// bytes.
func (b *Bus) await(ctx context.Context, ln *line, addr, sqn byte, timeout time.Duration) (wire.Frame, []byte, error) {
	deadline := b.now().Add(timeout)
	for {
		for {
			f, raw, err := ln.r.Next()
			if errors.Is(err, wire.ErrIncomplete) {
				break
			}
			if err != nil {
				b.reject(err)
				continue
			}
			if f.Reply && f.Addr == addr && f.SQN == sqn {
				return f, raw, nil
			}
			b.m.Rejected.WithLabelValues(reasonUnexpected).Inc()
			b.log.Debug("osdp: unexpected frame", "addr", f.Addr, "reply", f.Reply, "sqn", f.SQN, "code", f.Code)
		}
		if ctx.Err() != nil {
			return wire.Frame{}, nil, ctx.Err()
		}
		if !b.now().Before(deadline) {
			return wire.Frame{}, nil, errTimeout
		}
		n, err := ln.port.Read(ln.buf) // returns (0, nil) after readSlice
		if err != nil {
			return wire.Frame{}, nil, fmt.Errorf("osdp: read from %s: %w", b.cfg.Port, err)
		}
		if err := ln.r.Push(b.now(), ln.buf[:n]); err != nil {
			b.reject(err)
		}
	}
}

func (b *Bus) reject(err error) {
	var fe *wire.FrameError
	reason := "other"
	if errors.As(err, &fe) {
		reason = string(fe.Reason)
	}
	b.m.Rejected.WithLabelValues(reason).Inc()
	b.log.Debug("osdp: frame rejected", "err", err)
}
