package modbus

import (
	"fmt"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Edge maps one discrete input's changes to event types; an empty type
// emits nothing.
type Edge struct {
	Input   int    `yaml:"input"`
	Rising  string `yaml:"rising"`
	Falling string `yaml:"falling"`
}

// Output is the coil a command drives.
type Output struct {
	Coil int `yaml:"coil"`
	// Pulse, when set, is how long the coil stays on for this command,
	// whatever the command's args.seconds asks (a module whose strobe or
	// siren wants a trigger of a fixed length); args.seconds: 0 still
	// switches it off at once. Zero: args.seconds decides.
	Pulse time.Duration `yaml:"pulse"`
}

// Profile says what a kind of I/O module's points mean.
type Profile struct {
	// Inputs is how many discrete inputs, from 0, are read each poll.
	Inputs int `yaml:"inputs"`
	// Edges turn input changes into events.
	Edges []Edge `yaml:"edges"`
	// Outputs maps command names to the coil they pulse.
	Outputs map[string]Output `yaml:"outputs"`
}

// BuiltinProfile is the profile of a unit that names none.
const BuiltinProfile = "lightbox-io"

// MaxInputs is the most discrete inputs one read may ask for.
const MaxInputs = 2000

// Profiles returns the built-in device profiles by name:
//
//	lightbox-io: DI 0 button (rising → button.pressed), DI 1 tamper loop
//	(rising → tamper.open, falling → tamper.closed), DI 2 mains sensor
//	(falling → power.mains_lost, rising → power.mains_restored); coil 0
//	strobe, coil 1 siren, coil 2 lock (commands strobe, siren, unlock).
func Profiles() map[string]Profile {
	return map[string]Profile{
		BuiltinProfile: {
			Inputs: 3,
			Edges: []Edge{
				{Input: 0, Rising: event.ButtonPressed},
				{Input: 1, Rising: event.TamperOpen, Falling: event.TamperClosed},
				{Input: 2, Rising: event.PowerMainsRestored, Falling: event.PowerMainsLost},
			},
			Outputs: map[string]Output{"strobe": {Coil: 0}, "siren": {Coil: 1}, "unlock": {Coil: 2}},
		},
	}
}

// profiles is the built-in profiles with the bus's own added.
func (c Config) profiles() map[string]Profile {
	all := Profiles()
	for name, p := range c.Profiles {
		if _, builtin := all[name]; !builtin {
			all[name] = p
		}
	}
	return all
}

// validate returns every problem of profile p, named name.
func (p Profile) validate(name string) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("profile %q: "+format, append([]any{name}, args...)...))
	}
	if p.Inputs < 1 || p.Inputs > MaxInputs {
		bad("inputs %d outside 1-%d (every poll reads them; it is also how a unit shows it is alive)", p.Inputs, MaxInputs)
	}
	seen := map[int]bool{}
	for i, e := range p.Edges {
		switch {
		case e.Input < 0 || e.Input >= p.Inputs:
			bad("edges[%d]: input %d outside 0-%d", i, e.Input, p.Inputs-1)
		case seen[e.Input]:
			bad("edges[%d]: input %d given twice", i, e.Input)
		}
		seen[e.Input] = true
		if e.Rising == "" && e.Falling == "" {
			bad("edges[%d]: input %d: give rising, falling or both", i, e.Input)
		}
	}
	for cmd, o := range p.Outputs {
		switch {
		case cmd == "":
			bad("an output with no command name")
		case o.Coil < 0 || o.Coil > 0xFFFF:
			bad("output %s: coil %d outside 0-65535", cmd, o.Coil)
		case o.Pulse < 0 || o.Pulse > MaxPulse:
			bad("output %s: pulse %v outside 0-%v", cmd, o.Pulse, MaxPulse)
		}
	}
	return errs
}
