package modbus

import (
	"context"
	"errors"
	"time"

	"github.com/gridwatch/gridwatch/drivers/modbus/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// unit is one I/O module's state, owned by Run's goroutine.
type unit struct {
	cfg     UnitConfig
	id      byte
	profile Profile

	online    bool
	reported  bool      // online or offline has been reported at least once
	failures  int       // failed polls in a row
	nextProbe time.Time // when offline: next try
	inputs    []bool    // last read; nil before the first
	lastSeen  time.Time
	pulses    map[int]time.Time // coil → when to switch it off
}

func (u *unit) snapshot() UnitStatus {
	s := UnitStatus{Device: u.cfg.Device, Unit: int(u.id), Online: u.online, Inputs: append([]bool(nil), u.inputs...)}
	if !u.lastSeen.IsZero() {
		s.LastSeen = u.lastSeen.UnixMilli()
	}
	return s
}

// poll reads u's discrete inputs and reports their edges. It returns an
// error only when the port fails.
func (b *Bus) poll(ctx context.Context, ln *line, u *unit) error {
	if !u.online && u.failures > b.cfg.Retries && b.now().Before(u.nextProbe) {
		return nil
	}
	resp, err := b.transact(ctx, ln, wire.ReadRequest(u.id, wire.ReadDiscreteInputs, 0, uint16(u.profile.Inputs)), 0)
	if ln.err != nil {
		return ln.err
	}
	var exc *wire.ExceptionError
	switch {
	case ctx.Err() != nil:
		return nil
	case errors.As(err, &exc):
		b.log.Warn("modbus: unit refused to report its inputs", "device", u.cfg.Device, "unit", u.id, "err", err)
		b.alive(u)
		return nil
	case err != nil:
		u.failures++
		b.log.Debug("modbus: poll failed", "device", u.cfg.Device, "unit", u.id, "failures", u.failures, "err", err)
		if u.failures > b.cfg.Retries {
			b.offline(u, err.Error())
		}
		return nil
	}
	b.alive(u)
	cur := wire.Bits(resp.Data, u.profile.Inputs)
	if u.inputs == nil {
		b.firstRead(u, cur)
	} else {
		for _, e := range u.profile.Edges {
			was, is := u.inputs[e.Input], cur[e.Input]
			typ := e.Falling
			if is {
				typ = e.Rising
			}
			if was != is && typ != "" {
				b.emit(u, typ, map[string]any{"unit": int(u.id), "input": e.Input})
			}
		}
	}
	u.inputs = cur
	return nil
}

// firstRead reports the state of u's conditions at the bus's first read of
// its inputs (after the gateway starts): what changed while nobody was
// polling is not lost. A condition is an input with both a rising and a
// falling event (tamper, mains, a door contact): its current level is
// reported either way, so a tamper already open raises its alarm and one
// closed meanwhile clears the alarm left open before a restart (a clearing
// event with no alarm open changes nothing). An input with one event only
// (the button) is momentary: one found active at start is not a press.
// These events carry first_read: true.
func (b *Bus) firstRead(u *unit, cur []bool) {
	for _, e := range u.profile.Edges {
		if e.Rising == "" || e.Falling == "" {
			continue
		}
		typ := e.Falling
		if cur[e.Input] {
			typ = e.Rising
		}
		b.emit(u, typ, map[string]any{"unit": int(u.id), "input": e.Input, "first_read": true})
	}
}

// alive records a valid answer from u, reporting it online if it was not.
func (b *Bus) alive(u *unit) {
	u.failures, u.lastSeen = 0, b.now()
	if u.online {
		return
	}
	u.online, u.reported = true, true
	b.log.Info("modbus: unit online", "device", u.cfg.Device, "unit", u.id)
	b.emit(u, event.DeviceOnline, map[string]any{"unit": int(u.id)})
}

// offline marks u offline (once) and schedules its next probe.
func (b *Bus) offline(u *unit, why string) {
	u.failures = max(u.failures, b.cfg.Retries+1)
	u.nextProbe = b.now().Add(b.cfg.Reprobe)
	if !u.online && u.reported {
		return
	}
	u.online, u.reported = false, true
	b.log.Warn("modbus: unit offline", "device", u.cfg.Device, "unit", u.id, "why", why)
	b.emit(u, event.DeviceOffline, map[string]any{"unit": int(u.id), "reason": why})
}
