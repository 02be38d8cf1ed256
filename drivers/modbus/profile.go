package modbus

import "github.com/gridwatch/gridwatch/gateway/event"

// Edge maps one discrete input's changes to event types; an empty type
// emits nothing.
type Edge struct {
	Input   int
	Rising  string
	Falling string
}

// Profile says what a kind of I/O module's points mean.
type Profile struct {
	// Inputs is how many discrete inputs, from 0, are read each poll.
	Inputs int
	// Edges turn input changes into events.
	Edges []Edge
	// Outputs maps command names to the coil they pulse.
	Outputs map[string]int
}

// Profiles returns the built-in device profiles by name:
//
//	lightbox-io: DI 0 button (rising → button.pressed), DI 1 tamper loop
//	(rising → tamper.open, falling → tamper.closed), DI 2 mains sensor
//	(falling → power.mains_lost, rising → power.mains_restored); coil 0
//	strobe, coil 1 siren, coil 2 lock (commands strobe, siren, unlock).
func Profiles() map[string]Profile {
	return map[string]Profile{
		"lightbox-io": {
			Inputs: 3,
			Edges: []Edge{
				{Input: 0, Rising: event.ButtonPressed},
				{Input: 1, Rising: event.TamperOpen, Falling: event.TamperClosed},
				{Input: 2, Rising: event.PowerMainsRestored, Falling: event.PowerMainsLost},
			},
			Outputs: map[string]int{"strobe": 0, "siren": 1, "unlock": 2},
		},
	}
}
