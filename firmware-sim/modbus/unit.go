package modbus

import (
	"fmt"
	"sync"
	"time"

	"github.com/gridwatch/gridwatch/drivers/modbus/wire"
)

// Points is how many coils, discrete inputs and registers of each kind a
// simulated unit has; addresses past it are answered with exception 02.
const Points = 16

// Discrete inputs of a light box I/O module (profile lightbox-io).
const (
	InputButton = 0 // panic button, active while pressed
	InputTamper = 1 // tamper loop, active when open
	InputMains  = 2 // mains sensor, active while mains is present
)

// Coils of a light box I/O module (profile lightbox-io).
const (
	CoilStrobe = 0
	CoilSiren  = 1
	CoilLock   = 2
)

// Faults are line faults a unit injects into its replies.
type Faults struct {
	// Noise random bytes are sent before each reply.
	Noise int
	// BadCRC corrupts the CRC of each reply.
	BadCRC bool
	// Silent units do not answer at all (unplugged, dead).
	Silent bool
	// Delay holds each reply back this long.
	Delay time.Duration
}

// Unit is one simulated slave. Its methods are safe to call while the bus
// runs.
type Unit struct {
	id byte

	mu       sync.Mutex
	inputs   [Points]bool
	latched  [Points]bool // drop back to false after the next read
	coils    [Points]bool
	switched [Points]int // times each coil went from off to on
	holding  [Points]uint16
	inRegs   [Points]uint16
	faults   Faults
	requests int
}

func newUnit(id byte) *Unit {
	u := &Unit{id: id}
	u.inputs[InputMains] = true
	return u
}

// ID is the unit id.
func (u *Unit) ID() byte { return u.id }

// SetInput sets discrete input i.
func (u *Unit) SetInput(i int, active bool) error {
	if i < 0 || i >= Points {
		return fmt.Errorf("modbus sim: input %d outside 0-%d", i, Points-1)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.inputs[i], u.latched[i] = active, false
	return nil
}

// Press presses the button: input 0 goes active and is released after the
// master has read it once, so a press is never shorter than a poll.
func (u *Unit) Press() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.inputs[InputButton], u.latched[InputButton] = true, true
}

// SetTamper opens or closes the tamper loop.
func (u *Unit) SetTamper(open bool) { _ = u.SetInput(InputTamper, open) }

// SetMains restores or cuts mains power.
func (u *Unit) SetMains(present bool) { _ = u.SetInput(InputMains, present) }

// Coil reports coil i (false outside the unit's range).
func (u *Unit) Coil(i int) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return i >= 0 && i < Points && u.coils[i]
}

// SwitchedOn counts how often coil i went from off to on, so a pulse that
// is already over can still be seen.
func (u *Unit) SwitchedOn(i int) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	if i < 0 || i >= Points {
		return 0
	}
	return u.switched[i]
}

// Coils returns every coil.
func (u *Unit) Coils() []bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]bool(nil), u.coils[:]...)
}

// Requests counts the requests addressed to this unit so far, answered or
// not.
func (u *Unit) Requests() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.requests
}

// SetFaults replaces the unit's line faults; the zero Faults clears them.
func (u *Unit) SetFaults(f Faults) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.faults = f
}

func (u *Unit) lineFaults() Faults {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.faults
}

// coilChange is a coil a request switched.
type coilChange struct {
	coil int
	on   bool
}

// execute carries out req and returns the read data, or an exception code,
// and the coils it switched.
func (u *Unit) execute(req wire.Request) ([]byte, byte, []coilChange) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.requests++
	count := int(req.Count)
	if req.Func == wire.WriteSingleCoil || req.Func == wire.WriteSingleRegister {
		count = 1
	}
	if int(req.Addr)+count > Points {
		return nil, wire.IllegalDataAddress, nil
	}
	a := int(req.Addr)
	var changes []coilChange
	setCoil := func(i int, on bool) {
		if u.coils[i] != on {
			changes = append(changes, coilChange{i, on})
			if on {
				u.switched[i]++
			}
		}
		u.coils[i] = on
	}
	switch req.Func {
	case wire.ReadCoils:
		return wire.PackBits(u.coils[a : a+count]), 0, nil
	case wire.ReadDiscreteInputs:
		data := wire.PackBits(u.inputs[a : a+count])
		for i := a; i < a+count; i++ {
			if u.latched[i] {
				u.inputs[i], u.latched[i] = false, false
			}
		}
		return data, 0, nil
	case wire.ReadHoldingRegisters:
		return wire.PackRegisters(u.holding[a : a+count]), 0, nil
	case wire.ReadInputRegisters:
		return wire.PackRegisters(u.inRegs[a : a+count]), 0, nil
	case wire.WriteSingleCoil:
		setCoil(a, req.Value != 0)
	case wire.WriteSingleRegister:
		u.holding[a] = req.Value
	case wire.WriteMultipleCoils:
		for i, on := range wire.Bits(req.Data, count) {
			setCoil(a+i, on)
		}
	case wire.WriteMultipleRegisters:
		copy(u.holding[a:], wire.Registers(req.Data))
	default:
		return nil, wire.IllegalFunction, nil
	}
	return nil, 0, changes
}
