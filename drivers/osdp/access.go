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

// Door is the door a reader guards: its lock, its card list, and the
// contact and request-to-exit (REX) inputs the PD reports with ISTATR.
type Door struct {
	// LockTime is how long the lock relay (output 0) is pulsed on a grant
	// (or a REX that unlocks), and how long the door counts as released;
	// 5 s if zero, at most 6553 s.
	LockTime time.Duration `yaml:"lock_time"`
	// Cards are the cards this door knows; any other is denied.
	Cards []CardRule `yaml:"cards"`

	// Contact is the PD input of the door contact; 0 if unset.
	Contact int `yaml:"contact"`
	// ContactOpen is the input level that means "door open": "active"
	// (the default) or "inactive" (a contact wired so that the PD reports
	// it active while the door is shut).
	ContactOpen string `yaml:"contact_open"`
	// REX is the PD input of the request-to-exit button; 1 if unset, -1
	// for none. It is active while pressed.
	REX *int `yaml:"rex"`
	// REXUnlocks makes a REX press pulse the lock like a grant (an electric
	// strike). Without it a REX only releases the door for LockTime (free
	// mechanical egress), so the opening that follows is not forced.
	REXUnlocks bool `yaml:"rex_unlocks"`
	// HeldOpen is how long the door may stand open before door.held_open;
	// 30 s if zero.
	HeldOpen time.Duration `yaml:"held_open"`
	// PollInputs sends ISTAT in place of every Nth POLL, for PDs that do not
	// report input changes on their own (the simulator and most readers
	// answer a POLL with ISTATR when an input changes). 0: never.
	PollInputs int `yaml:"poll_inputs"`
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
	if d.Contact < 0 || d.Contact > 63 {
		errs = append(errs, fmt.Errorf("door contact input %d outside 0-63", d.Contact))
	}
	if rex := d.rexInput(); rex < -1 || rex > 63 || rex == d.Contact {
		errs = append(errs, fmt.Errorf("door rex input %d: want 0-63 and not the contact input (%d), or -1 for none", rex, d.Contact))
	}
	if d.ContactOpen != "" && d.ContactOpen != "active" && d.ContactOpen != "inactive" {
		errs = append(errs, fmt.Errorf("door contact_open %q: want active or inactive", d.ContactOpen))
	}
	if d.HeldOpen < 0 {
		errs = append(errs, fmt.Errorf("door held_open %v is negative", d.HeldOpen))
	}
	if d.PollInputs < 0 {
		errs = append(errs, fmt.Errorf("door poll_inputs %d is negative", d.PollInputs))
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
	case p.cfg.Door == nil:
		return // no door: the card read is all there is
	case b.decider != nil:
		d = b.decider.Decide(p.cfg.Device, c, b.now())
	default:
		d = p.cfg.Door.Decide(c, b.now())
	}
	data := map[string]any{"card": c.Number, "facility": c.Facility}
	if d.Grant {
		b.emit(p, event.AccessGranted, data)
		if p.door != nil {
			p.door.release(b.now())
		}
		lock := lockUnits(p.cfg.Door)
		b.queue(p, ledCommand(wire.ColorGreen, lock), buzzCommand(1), lockCommand(lock))
		return
	}
	data["reason"] = d.Reason
	b.emit(p, event.AccessDenied, data)
	b.queue(p, ledCommand(wire.ColorRed, 20), buzzCommand(2))
}

// lockUnits is the lock pulse of door d in 100 ms units.
func lockUnits(d *Door) uint16 {
	if d != nil && d.LockTime > 0 {
		return uint16(d.LockTime / (100 * time.Millisecond))
	}
	return 5 * 10
}

// lockCommand pulses the lock relay (output 0) for timer × 100 ms.
func lockCommand(timer uint16) wire.Frame {
	return wire.Frame{Code: wire.CmdOUT, Data: wire.AppendOutputs(nil, []wire.OutputControl{{Output: 0, Code: wire.OutPulseOn, Timer: timer}})}
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
