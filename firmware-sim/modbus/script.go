package modbus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gridwatch/gridwatch/firmware-sim/simscript"
)

// Step is one line of a script: a wait, or an action on the unit at Addr.
type Step = simscript.Step[*Unit]

// ParseScript reads a script, one step a line; # starts a comment:
//
//	wait 2s
//	press 3                 # button of unit 3, held until the next poll
//	input 3 5 on|off        # any discrete input
//	tamper 3 open|closed
//	mains 3 lost|restored
//	fault 3 noise=N badcrc silent delay=D | none
//
// Every bad line is reported, with its number.
func ParseScript(r io.Reader) ([]Step, error) { return simscript.Parse(r, parseStep) }

func parseStep(f []string) (Step, error) {
	if len(f) < 2 {
		return Step{}, fmt.Errorf("%s: no unit id", f[0])
	}
	id, err := strconv.ParseUint(f[1], 0, 8)
	if err != nil || id == 0 || id > 247 {
		return Step{}, fmt.Errorf("%s: %q is not a unit id 1-247", f[0], f[1])
	}
	args := f[2:]
	s := Step{Addr: byte(id)}
	switch f[0] {
	case "press":
		if len(args) != 0 {
			return Step{}, errors.New("usage: press UNIT")
		}
		s.Do = func(u *Unit) error { u.Press(); return nil }
	case "tamper":
		open, err := simscript.OneOf(args, "tamper UNIT open|closed", "open", "closed")
		if err != nil {
			return Step{}, err
		}
		s.Do = func(u *Unit) error { u.SetTamper(open); return nil }
	case "mains":
		on, err := simscript.OneOf(args, "mains UNIT lost|restored", "restored", "lost")
		if err != nil {
			return Step{}, err
		}
		s.Do = func(u *Unit) error { u.SetMains(on); return nil }
	case "input":
		if len(args) != 2 || (args[1] != "on" && args[1] != "off") {
			return Step{}, errors.New("usage: input UNIT N on|off")
		}
		i, err := strconv.Atoi(args[0])
		if err != nil || i < 0 || i >= Points {
			return Step{}, fmt.Errorf("input: %q is not an input 0-%d", args[0], Points-1)
		}
		on := args[1] == "on"
		s.Do = func(u *Unit) error { return u.SetInput(i, on) }
	case "fault":
		fl, err := parseFaults(args)
		if err != nil {
			return Step{}, err
		}
		s.Do = func(u *Unit) error { u.SetFaults(fl); return nil }
	default:
		return Step{}, fmt.Errorf("unknown step %q (wait press input tamper mains fault)", f[0])
	}
	return s, nil
}

func parseFaults(args []string) (Faults, error) {
	var fl Faults
	if len(args) == 0 {
		return fl, errors.New("usage: fault UNIT noise=N badcrc silent delay=D | none")
	}
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		var err error
		switch k {
		case "none":
		case "silent":
			fl.Silent = true
		case "badcrc":
			fl.BadCRC = true
		case "noise":
			fl.Noise, err = strconv.Atoi(v)
			if err == nil && (fl.Noise < 1 || fl.Noise > 200) {
				err = errors.New("want 1-200 bytes")
			}
		case "delay":
			fl.Delay, err = time.ParseDuration(v)
			if err == nil && fl.Delay < 0 {
				err = errors.New("negative")
			}
		default:
			return fl, fmt.Errorf("fault: unknown %q (noise=N badcrc silent delay=D none)", a)
		}
		if err != nil {
			return fl, fmt.Errorf("fault %s: %v", a, err)
		}
	}
	return fl, nil
}

// CheckScript reports every step that names a unit not on the bus.
func (b *Bus) CheckScript(steps []Step) error { return b.script().Check(steps) }

// Play runs steps against b, logging each to w, until done or ctx is
// cancelled.
func (b *Bus) Play(ctx context.Context, steps []Step, w io.Writer) error {
	return b.script().Play(ctx, steps, w)
}

func (b *Bus) script() simscript.Bus[*Unit] {
	return simscript.Bus[*Unit]{Name: "modbus script", Missing: "no unit %d on this bus",
		Find: func(id byte) (*Unit, bool) { u := b.Unit(id); return u, u != nil }}
}
