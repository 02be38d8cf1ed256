package osdp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/serialline"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// Commands a reader takes, each with args {"seconds": N}; N = 0 stops what
// the command started.
const (
	// CmdStrobe flashes the reader's LED red (0.5 s on, 0.5 s off) for N
	// seconds, then returns it to its normal state.
	CmdStrobe = "strobe"
	// CmdSiren beeps the reader's buzzer once a second for N seconds (at
	// most 255 beeps: a reader's buzzer is not a siren).
	CmdSiren = "siren"
	// CmdUnlock pulses the lock relay (output 0) for N seconds, or the
	// door's lock time when args carry no seconds.
	CmdUnlock = "unlock"
)

// maxCommandSeconds is the longest LED or relay timer OSDP can carry
// (65535 × 100 ms).
const maxCommandSeconds = 6553

// ErrNotCommandable is returned, wrapped, for a command a reader does not
// take.
var ErrNotCommandable = errors.New("osdp: no such reader command")

// Command queues c for its reader's next turn on the bus and returns once
// it is queued (OK) or refused: an unknown device or command, bad args, a
// reader that is offline, a full command queue, or a port that is down.
// The PD's answer is not waited for; a PD that does not take the command
// is logged and, if it stops answering, reported offline as usual. It
// waits for Run at most until ctx is done.
func (b *Bus) Command(ctx context.Context, c event.Command) event.CommandAck {
	return serialline.Submit(ctx, b.cmds, c, "osdp", func(c event.Command) error {
		_, err := b.frames(c)
		return err
	})
}

// frames checks c and builds the OSDP commands that carry it out.
func (b *Bus) frames(c event.Command) ([]wire.Frame, error) {
	p := b.pdOf(c.Device)
	if p == nil {
		return nil, fmt.Errorf("osdp: no reader %q on bus %s", c.Device, b.cfg.Name)
	}
	secs, given, err := commandSeconds(c)
	if err != nil {
		return nil, err
	}
	switch c.Cmd {
	case CmdStrobe:
		if !given {
			return nil, fmt.Errorf("osdp: command %s needs args.seconds", c.Cmd)
		}
		if secs == 0 {
			rec := wire.LEDControl{Temporary: wire.LEDState{Control: 1}} // cancel the temporary state
			return []wire.Frame{{Code: wire.CmdLED, Data: wire.AppendLEDs(nil, []wire.LEDControl{rec})}}, nil
		}
		rec := wire.LEDControl{Temporary: wire.LEDState{Control: 2, OnTime: 5, OffTime: 5,
			OnColor: wire.ColorRed, OffColor: wire.ColorOff, Timer: uint16(math.Ceil(secs * 10))}}
		return []wire.Frame{{Code: wire.CmdLED, Data: wire.AppendLEDs(nil, []wire.LEDControl{rec})}}, nil
	case CmdSiren:
		if !given {
			return nil, fmt.Errorf("osdp: command %s needs args.seconds", c.Cmd)
		}
		z := wire.Buzzer{Tone: wire.ToneOff}
		if secs > 0 {
			z = wire.Buzzer{Tone: wire.ToneDefault, OnTime: 5, OffTime: 5, Count: byte(min(math.Ceil(secs), 255))}
		}
		return []wire.Frame{{Code: wire.CmdBUZ, Data: z.Append(nil)}}, nil
	case CmdUnlock:
		units := lockUnits(p.cfg.Door)
		if given {
			units = uint16(math.Ceil(secs * 10))
		}
		rec := wire.OutputControl{Output: 0, Code: wire.OutPulseOn, Timer: units}
		if units == 0 {
			rec = wire.OutputControl{Output: 0, Code: wire.OutOffAbort}
		}
		return []wire.Frame{{Code: wire.CmdOUT, Data: wire.AppendOutputs(nil, []wire.OutputControl{rec})}}, nil
	}
	return nil, fmt.Errorf("%w: %q (a reader takes %s, %s, %s)", ErrNotCommandable, c.Cmd, CmdStrobe, CmdSiren, CmdUnlock)
}

// commandSeconds reads args.seconds: whether it was given, and its value.
func commandSeconds(c event.Command) (float64, bool, error) {
	secs, given, err := serialline.Seconds("osdp", c)
	if err != nil || !given {
		return 0, false, err
	}
	if !(secs >= 0 && secs <= maxCommandSeconds) {
		return 0, false, fmt.Errorf("osdp: command %s: seconds %v outside 0-%d", c.Cmd, secs, maxCommandSeconds)
	}
	return secs, true, nil
}

func (b *Bus) pdOf(device string) *pd {
	for _, p := range b.pds {
		if p.cfg.Device == device {
			return p
		}
	}
	return nil
}

// execute queues a command on Run's goroutine; online says whether the
// port is open.
func (b *Bus) execute(c event.Command, online bool) error {
	frames, err := b.frames(c)
	if err != nil {
		return err
	}
	p := b.pdOf(c.Device)
	switch {
	case !online:
		return errors.New("osdp: serial port is down")
	case p.state != stateOnline:
		return fmt.Errorf("osdp: reader %s is %s", c.Device, p.state)
	case len(p.pending)+len(frames) > maxPending:
		return fmt.Errorf("osdp: reader %s: command queue full", c.Device)
	}
	b.queue(p, frames...)
	b.log.Info("osdp: command queued", "device", c.Device, "cmd", c.Cmd, "args", c.Args)
	return nil
}

// idle waits d or until ctx is done, taking commands meanwhile (refused
// when online is false: no port). It reports whether d passed.
func (b *Bus) idle(ctx context.Context, d time.Duration, online bool) bool {
	return serialline.Idle(ctx, d, b.cmds, func(c event.Command) error { return b.execute(c, online) })
}
