package modbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gridwatch/gridwatch/drivers/modbus/wire"
	"github.com/gridwatch/gridwatch/drivers/serialline"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// MaxPulse is the longest output pulse a command may ask for.
const MaxPulse = time.Hour

// Command runs c on the bus's goroutine and returns its acknowledgement.
// Commands are the profile's outputs (lightbox-io: strobe, siren, unlock)
// with args {"seconds": N}: the coil is switched on and back off after N
// seconds; N = 0 switches it off at once. An output with a fixed Pulse is
// on for that long instead of N seconds (and needs no args). It waits for Run at most until
// ctx is done.
func (b *Bus) Command(ctx context.Context, c event.Command) event.CommandAck {
	return serialline.Submit(ctx, b.cmds, c, "modbus", func(c event.Command) error {
		_, _, _, err := b.parse(c)
		return err
	})
}

// parse finds c's unit and coil and the pulse length.
func (b *Bus) parse(c event.Command) (*unit, int, time.Duration, error) {
	var u *unit
	for _, x := range b.units {
		if x.cfg.Device == c.Device {
			u = x
		}
	}
	if u == nil {
		return nil, 0, 0, fmt.Errorf("modbus: no device %q on bus %s", c.Device, b.cfg.Name)
	}
	out, ok := u.profile.Outputs[c.Cmd]
	if !ok {
		return nil, 0, 0, fmt.Errorf("modbus: device %s (profile %s) has no command %q", c.Device, u.cfg.Profile, c.Cmd)
	}
	coil := out.Coil
	secs, given, err := serialline.Seconds("modbus", c)
	switch {
	case err != nil:
		return nil, 0, 0, err
	case !given && out.Pulse > 0:
		return u, coil, out.Pulse, nil
	case !given:
		return nil, 0, 0, fmt.Errorf("modbus: command %s needs args.seconds", c.Cmd)
	}
	d := time.Duration(secs * float64(time.Second))
	if secs < 0 || d > MaxPulse {
		return nil, 0, 0, fmt.Errorf("modbus: command %s: seconds %v outside 0-%v", c.Cmd, secs, MaxPulse.Seconds())
	}
	if d > 0 && out.Pulse > 0 {
		d = out.Pulse // the profile knows the module's trigger length
	}
	return u, coil, d, nil
}

// execute switches the command's coil and schedules it off.
func (b *Bus) execute(ctx context.Context, ln *line, c event.Command) error {
	u, coil, d, err := b.parse(c)
	if err != nil {
		return err
	}
	if ln == nil {
		return errors.New("modbus: serial port is down")
	}
	if _, err := b.transact(ctx, ln, wire.WriteCoilRequest(u.id, uint16(coil), d > 0), b.cfg.Retries); err != nil {
		return fmt.Errorf("modbus: %s on %s (unit %d, coil %d): %w", c.Cmd, c.Device, u.id, coil, err)
	}
	if d > 0 {
		u.pulses[coil] = b.now().Add(d)
	} else {
		delete(u.pulses, coil)
	}
	b.log.Info("modbus: command", "device", c.Device, "cmd", c.Cmd, "coil", coil, "for", d)
	return nil
}

// clearPulses switches off the coils whose time is up; one that cannot be
// switched off is tried again next cycle. It returns an error only when the
// port fails.
func (b *Bus) clearPulses(ctx context.Context, ln *line) error {
	now := b.now()
	for _, u := range b.units {
		for coil, at := range u.pulses {
			if now.Before(at) {
				continue
			}
			_, err := b.transact(ctx, ln, wire.WriteCoilRequest(u.id, uint16(coil), false), 0)
			if ln.err != nil {
				return ln.err
			}
			if err != nil {
				b.log.Warn("modbus: could not switch a coil off; will retry", "device", u.cfg.Device, "coil", coil, "err", err)
				continue
			}
			delete(u.pulses, coil)
		}
	}
	return nil
}
