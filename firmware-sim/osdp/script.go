package osdp

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gridwatch/gridwatch/drivers/wiegand"
	"github.com/gridwatch/gridwatch/firmware-sim/simscript"
)

// Step is one line of a script: a pause, or an action on the PD at Addr.
type Step = simscript.Step[*PD]

// ParseScript reads a PD script, one step a line ('#' starts a comment):
//
//	wait 2s
//	swipe ADDR FORMAT FACILITY CARD     # swipe 1 h10301 68 41551
//	pin ADDR KEYS                       # pin 1 1234#
//	tamper ADDR open|closed
//	power ADDR lost|restored
//	input ADDR N active|inactive        # input 0 is the door contact
//	door ADDR open|closed               # input 0 active while open
//	rex ADDR                            # press and release input 1 (request to exit)
//	fault ADDR none | [silent] [noise=N] [flip] [truncate] [every=N] [delay=D]
//	reboot ADDR
//
// It returns every problem with its line number.
func ParseScript(r io.Reader) ([]Step, error) { return simscript.Parse(r, parseStep) }

func parseStep(f []string) (Step, error) {
	verb, args := f[0], f[1:]
	if len(args) == 0 {
		return Step{}, fmt.Errorf("%s needs a PD address", verb)
	}
	a, err := strconv.ParseUint(args[0], 0, 8)
	if err != nil || a > 0x7E {
		return Step{}, fmt.Errorf("%s: address %q is not 0-126", verb, args[0])
	}
	st := Step{Addr: byte(a)}
	args = args[1:]
	want := func(n int, usage string) error {
		if len(args) != n {
			return fmt.Errorf("usage: %s", usage)
		}
		return nil
	}
	switch verb {
	case "swipe":
		if err := want(3, "swipe ADDR FORMAT FACILITY CARD"); err != nil {
			return Step{}, err
		}
		format, err := wiegand.ParseFormat(args[0])
		if err != nil {
			return Step{}, err
		}
		fc, err1 := strconv.ParseUint(args[1], 10, 32)
		card, err2 := strconv.ParseUint(args[2], 10, 32)
		if err1 != nil || err2 != nil {
			return Step{}, fmt.Errorf("swipe: facility %q and card %q must be numbers", args[1], args[2])
		}
		if _, _, err := wiegand.Encode(wiegand.Credential{Format: format, Facility: uint32(fc), Card: uint32(card)}); err != nil {
			return Step{}, err
		}
		st.Do = func(p *PD) error { return p.SwipeCard(format, uint32(fc), uint32(card)) }
	case "pin":
		if err := want(1, "pin ADDR KEYS"); err != nil {
			return Step{}, err
		}
		keys := args[0]
		if strings.Trim(keys, "0123456789*#") != "" {
			return Step{}, fmt.Errorf("pin %q: keys are 0-9, * and #", keys)
		}
		st.Do = func(p *PD) error { return p.EnterPIN(keys) }
	case "tamper":
		on, err := simscript.OneOf(args, "tamper ADDR open|closed", "open", "closed")
		if err != nil {
			return Step{}, err
		}
		st.Do = func(p *PD) error { p.SetTamper(on); return nil }
	case "power":
		failed, err := simscript.OneOf(args, "power ADDR lost|restored", "lost", "restored")
		if err != nil {
			return Step{}, err
		}
		st.Do = func(p *PD) error { p.SetPowerFailure(failed); return nil }
	case "input":
		if err := want(2, "input ADDR N active|inactive"); err != nil {
			return Step{}, err
		}
		i, err := strconv.Atoi(args[0])
		if err != nil || (args[1] != "active" && args[1] != "inactive") {
			return Step{}, fmt.Errorf("usage: input ADDR N active|inactive")
		}
		active := args[1] == "active"
		st.Do = func(p *PD) error { return p.SetInput(i, active) }
	case "door":
		open, err := simscript.OneOf(args, "door ADDR open|closed", "open", "closed")
		if err != nil {
			return Step{}, err
		}
		st.Do = func(p *PD) error { return p.SetDoor(open) }
	case "rex":
		if err := want(0, "rex ADDR"); err != nil {
			return Step{}, err
		}
		st.Do = func(p *PD) error { return p.PressREX() }
	case "fault":
		fl, err := parseFaults(args)
		if err != nil {
			return Step{}, err
		}
		st.Do = func(p *PD) error { p.SetFaults(fl); return nil }
	case "reboot":
		if err := want(0, "reboot ADDR"); err != nil {
			return Step{}, err
		}
		st.Do = func(p *PD) error { p.Reboot(); return nil }
	default:
		return Step{}, fmt.Errorf("unknown step %q (wait, swipe, pin, tamper, power, input, door, rex, fault, reboot)", verb)
	}
	return st, nil
}

func parseFaults(args []string) (Faults, error) {
	var fl Faults
	if len(args) == 1 && args[0] == "none" {
		return fl, nil
	}
	if len(args) == 0 {
		return fl, fmt.Errorf("fault: say none, or some of silent noise=N flip truncate every=N delay=D")
	}
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		var err error
		switch k {
		case "silent":
			fl.Silent = true
		case "flip":
			fl.FlipBit = true
		case "truncate":
			fl.Truncate = true
		case "noise":
			fl.Noise, err = strconv.Atoi(v)
			if err == nil && (fl.Noise < 0 || fl.Noise > 4096) {
				err = fmt.Errorf("out of range 0-4096")
			}
		case "every":
			fl.Every, err = strconv.Atoi(v)
			if err == nil && fl.Every < 0 {
				err = fmt.Errorf("negative")
			}
		case "delay":
			fl.Delay, err = time.ParseDuration(v)
			if err == nil && fl.Delay < 0 {
				err = fmt.Errorf("negative")
			}
		default:
			return fl, fmt.Errorf("fault: unknown %q (silent noise=N flip truncate every=N delay=D)", a)
		}
		if err != nil {
			return fl, fmt.Errorf("fault %s: %v", a, err)
		}
	}
	return fl, nil
}

// CheckScript reports every step that names an address not on the bus.
func (b *Bus) CheckScript(steps []Step) error { return b.script().Check(steps) }

// Play runs steps against b, logging each to w, until done or ctx is
// cancelled. A step for an address not on the bus is an error.
func (b *Bus) Play(ctx context.Context, steps []Step, w io.Writer) error {
	return b.script().Play(ctx, steps, w)
}

func (b *Bus) script() simscript.Bus[*PD] {
	return simscript.Bus[*PD]{Name: "osdp script", Missing: "no PD at address %d on this bus",
		Find: func(a byte) (*PD, bool) { pd := b.PD(a); return pd, pd != nil }}
}
