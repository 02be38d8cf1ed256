package osdp

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// Card is a decoded credential as the access decision sees it.
type Card struct {
	Facility int
	Number   string // decimal
	Format   string
}

// Decision is whether a card opens a door, and why not.
type Decision struct {
	Grant  bool
	Reason string // for a denial: unknown_card, blocked, expired, not_yet_valid
}

// Decider makes access decisions at the edge, so doors keep working while
// the uplink is down. The composition root may back it with the registry;
// without one, each PD's own Door card list decides.
type Decider interface {
	Decide(device string, c Card, now time.Time) Decision
}

// Access denial reasons.
const (
	DenyUnknown  = "unknown_card"
	DenyBlocked  = "blocked"
	DenyExpired  = "expired"
	DenyNotValid = "not_yet_valid"
)

// Door is the door a reader guards: its lock and its card list.
type Door struct {
	// LockTime is how long the lock relay (output 0) is pulsed on a grant;
	// 5 s if zero, at most 6553 s.
	LockTime time.Duration `yaml:"lock_time"`
	// Cards are the cards this door knows; any other is denied.
	Cards []CardRule `yaml:"cards"`
}

// CardRule is one card of a door's list.
type CardRule struct {
	Facility int    `yaml:"facility"`
	Card     string `yaml:"card"`
	// Block denies the card (lost, stolen, revoked).
	Block bool `yaml:"block"`
	// From and Until bound its validity; zero means unbounded.
	From  time.Time `yaml:"from"`
	Until time.Time `yaml:"until"`
}

func (d *Door) validate() []error {
	var errs []error
	if d.LockTime < 0 || d.LockTime > 6553*time.Second {
		errs = append(errs, fmt.Errorf("door lock_time %v outside 0-6553s", d.LockTime))
	}
	for i, c := range d.Cards {
		if _, err := strconv.ParseUint(c.Card, 10, 32); err != nil {
			errs = append(errs, fmt.Errorf("door cards[%d]: card %q is not a decimal number", i, c.Card))
		}
		if c.Facility < 0 || c.Facility > 0xFFFF {
			errs = append(errs, fmt.Errorf("door cards[%d]: facility %d outside 0-65535", i, c.Facility))
		}
		if !c.From.IsZero() && !c.Until.IsZero() && c.Until.Before(c.From) {
			errs = append(errs, fmt.Errorf("door cards[%d]: until %v is before from %v", i, c.Until, c.From))
		}
	}
	return errs
}

// Decide checks c against the door's list at now.
func (d *Door) Decide(c Card, now time.Time) Decision {
	for _, r := range d.Cards {
		if r.Card != c.Number || r.Facility != c.Facility {
			continue
		}
		switch {
		case r.Block:
			return Decision{Reason: DenyBlocked}
		case !r.From.IsZero() && now.Before(r.From):
			return Decision{Reason: DenyNotValid}
		case !r.Until.IsZero() && !now.Before(r.Until):
			return Decision{Reason: DenyExpired}
		}
		return Decision{Grant: true}
	}
	return Decision{Reason: DenyUnknown}
}

// maxPending bounds the commands queued for one PD; a full queue drops the
// newest and the drop is logged.
const maxPending = 8

// decide makes the access decision for a card read at p, reports it and
// queues the PD's LED, buzzer and lock commands.
func (b *Bus) decide(p *pd, c Card) {
	var d Decision
	switch {
	case b.decider != nil:
		d = b.decider.Decide(p.cfg.Device, c, b.now())
	case p.cfg.Door != nil:
		d = p.cfg.Door.Decide(c, b.now())
	default:
		return // no door: the card read is all there is
	}
	data := map[string]any{"card": c.Number, "facility": c.Facility}
	if d.Grant {
		b.emit(p, event.AccessGranted, data)
		lock := uint16(5 * 10)
		if p.cfg.Door != nil && p.cfg.Door.LockTime > 0 {
			lock = uint16(p.cfg.Door.LockTime / (100 * time.Millisecond))
		}
		b.queue(p, ledCommand(wire.ColorGreen, lock), buzzCommand(1),
			wire.Frame{Code: wire.CmdOUT, Data: wire.AppendOutputs(nil, []wire.OutputControl{{Output: 0, Code: wire.OutPulseOn, Timer: lock}})})
		return
	}
	data["reason"] = d.Reason
	b.emit(p, event.AccessDenied, data)
	b.queue(p, ledCommand(wire.ColorRed, 20), buzzCommand(2))
}

func ledCommand(color byte, timer uint16) wire.Frame {
	rec := wire.LEDControl{Temporary: wire.LEDState{Control: 2, OnTime: 1, OffTime: 0, OnColor: color, OffColor: color, Timer: timer}}
	return wire.Frame{Code: wire.CmdLED, Data: wire.AppendLEDs(nil, []wire.LEDControl{rec})}
}

func buzzCommand(beeps byte) wire.Frame {
	return wire.Frame{Code: wire.CmdBUZ, Data: wire.Buzzer{Tone: wire.ToneDefault, OnTime: 1, OffTime: 1, Count: beeps}.Append(nil)}
}

// queue adds commands for p's next turns.
func (b *Bus) queue(p *pd, cmds ...wire.Frame) {
	for _, c := range cmds {
		if len(p.pending) >= maxPending {
			b.log.Warn("osdp: command queue full; command dropped", "device", p.cfg.Device, "cmd", wire.CodeName(c.Code, false))
			continue
		}
		p.pending = append(p.pending, c)
	}
}
