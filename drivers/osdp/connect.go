package osdp

import (
	"context"
	"errors"
	"fmt"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// service gives one PD its turn: a POLL when online, a connect attempt when
// offline and due for a probe.
func (b *Bus) service(ctx context.Context, ln *line, p *pd) error {
	if p.state == stateOnline {
		cmd := wire.Frame{Code: wire.CmdPOLL}
		if p.door != nil {
			b.doorEmit(p, p.door.tick(b.now()))
			if n := p.cfg.Door.PollInputs; n > 0 {
				if p.turns++; p.turns%n == 0 {
					cmd = wire.Frame{Code: wire.CmdISTAT}
				}
			}
		}
		if len(p.pending) > 0 {
			cmd = p.pending[0]
		}
		reply, err := b.transact(ctx, ln, p, cmd, b.cfg.Retries)
		if err == nil && len(p.pending) > 0 {
			p.pending = p.pending[1:]
		}
		switch {
		case errors.Is(err, errNoReply):
			p.sess = nil
			b.offline(p, fmt.Sprintf("no reply after %d retries", b.cfg.Retries))
			return nil
		case errors.Is(err, errSecure):
			b.secureFailed(p, err)
			return nil
		case errors.Is(err, errResync):
			b.log.Info("osdp: secure PD lost its link; reconnecting", "device", p.cfg.Device)
			return b.connect(ctx, ln, p)
		case err != nil:
			return err
		}
		b.handle(p, reply)
		return nil
	}
	if b.now().Before(p.nextProbe) {
		return nil
	}
	return b.connect(ctx, ln, p)
}

// connect resets the link (SQN 0), reads ID and CAP, opens the secure
// channel when the PD has a key, and reads the local status.
func (b *Bus) connect(ctx context.Context, ln *line, p *pd) error {
	p.sqn, p.sess = 0, nil
	if p.door != nil {
		p.door.resync()
	}
	retries := min(b.cfg.Retries, 1)
	steps := []struct {
		cmd  byte
		data []byte
		want byte
	}{{wire.CmdID, []byte{0}, wire.ReplyPDID}, {wire.CmdCAP, []byte{0}, wire.ReplyPDCAP}, {wire.CmdLSTAT, nil, wire.ReplyLSTATR}}
	for _, s := range steps {
		if s.cmd == wire.CmdLSTAT && p.key != nil {
			if err := secureCapable(p.caps); err != nil {
				b.secureFailed(p, err)
				return nil
			}
			err := b.handshake(ctx, ln, p, *p.key, p.keyNo, retries)
			if errors.Is(err, errSecure) && p.cfg.Provision {
				err = b.provision(ctx, ln, p, retries, err)
			}
			if errors.Is(err, errSecure) || errors.Is(err, errResync) {
				b.secureFailed(p, err)
				return nil
			}
			if b.failedConnect(p, s.cmd, err) {
				return nil
			}
			if err != nil {
				return err
			}
		}
		reply, err := b.transact(ctx, ln, p, wire.Frame{Code: s.cmd, Data: s.data}, retries)
		if errors.Is(err, errSecure) {
			b.secureFailed(p, err)
			return nil
		}
		if b.failedConnect(p, s.cmd, err) {
			return nil
		}
		if err != nil {
			return err
		}
		if reply.Code != s.want {
			b.log.Warn("osdp: unexpected reply while connecting", "device", p.cfg.Device,
				"cmd", wire.CodeName(s.cmd, false), "reply", wire.CodeName(reply.Code, true))
			b.offline(p, "refused "+wire.CodeName(s.cmd, false))
			return nil
		}
		if s.want == wire.ReplyLSTATR {
			p.state, p.scAlarm = stateOnline, false
			b.emit(p, event.DeviceOnline, p.identity())
		}
		b.handle(p, reply)
	}
	if p.door != nil {
		return b.readDoor(ctx, ln, p, retries)
	}
	return nil
}

// readDoor reads the inputs of a door's PD at connect (ISTAT), so that the
// door monitor knows whether the door stands open before any change.
func (b *Bus) readDoor(ctx context.Context, ln *line, p *pd, retries int) error {
	reply, err := b.transact(ctx, ln, p, wire.Frame{Code: wire.CmdISTAT}, retries)
	switch {
	case errors.Is(err, errSecure):
		b.secureFailed(p, err)
		return nil
	case b.failedConnect(p, wire.CmdISTAT, err):
		return nil
	case err != nil:
		return err
	case reply.Code != wire.ReplyISTATR:
		// The first unsolicited ISTATR will synchronise the door instead.
		b.log.Warn("osdp: door PD did not report its inputs", "device", p.cfg.Device, "reply", wire.CodeName(reply.Code, true))
	}
	b.handle(p, reply)
	return nil
}

// failedConnect takes p offline if err says it did not answer cmd.
func (b *Bus) failedConnect(p *pd, cmd byte, err error) bool {
	if !errors.Is(err, errNoReply) && !errors.Is(err, errResync) {
		return false
	}
	b.offline(p, "no reply to "+wire.CodeName(cmd, false))
	return true
}
