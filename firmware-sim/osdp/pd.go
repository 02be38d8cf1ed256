package osdp

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/osdp/wire/sc"
	"github.com/gridwatch/gridwatch/drivers/wiegand"
)

// Config describes one simulated PD.
type Config struct {
	// Address is the PD's bus address, 0x00–0x7E.
	Address byte
	// ID is what the PD answers to ID; zero means a made-up identity.
	ID wire.PDID
	// Inputs and Outputs count the PD's contact inputs (input 0 is the
	// door contact, 1 the request-to-exit) and relay outputs (output 0 the
	// lock). Zero means 2 and 1.
	Inputs, Outputs int
	// Key is the PD's secure channel base key (SCBK, or sc.DefaultSCBK()
	// in install mode); nil means it has no secure channel and answers a
	// CHLNG with NAK 5.
	Key *sc.Key
	// QueueLen bounds the events waiting for a POLL; 0 means 64. When full
	// the oldest is dropped and counted.
	QueueLen int
}

// PD is one simulated peripheral device. Its script methods are safe to call
// while the bus runs.
type PD struct {
	addr     byte
	id       wire.PDID
	queueLen int

	mu       sync.Mutex
	queue    []pending
	dropped  int
	tamper   bool
	power    bool // true = mains failure
	inputs   []bool
	outputs  []bool
	leds     []wire.LEDControl
	outs     []wire.OutputControl
	buzzes   []wire.Buzzer
	faults   Faults
	counts   map[byte]int // commands received, by code
	link     linkState
	replyNum int // replies sent, for Faults.Every

	key        *sc.Key
	keyChanges int // KEYSETs accepted
	log        *slog.Logger
	rng        *rand.Rand  // RND.B
	hs         *handshake  // between CHLNG and SCRYPT
	sess       *sc.Session // an established secure channel
}

// pending is an event reply waiting for a POLL.
type pending struct {
	code byte
	data []byte
}

// linkState is the sequence-number state of the PD's link to the CP.
type linkState struct {
	active    bool   // a command with SQN 0 has been seen
	lastSQN   byte   // SQN of the last answered command
	lastReply []byte // the exact bytes sent, for retransmissions
}

func newPD(c Config) (*PD, error) {
	if c.Address > wire.MaxAddress {
		return nil, fmt.Errorf("osdp sim: PD address 0x%02X above 0x7E", c.Address)
	}
	if c.Inputs == 0 {
		c.Inputs = 2
	}
	if c.Outputs == 0 {
		c.Outputs = 1
	}
	if c.QueueLen == 0 {
		c.QueueLen = 64
	}
	if c.Inputs < 0 || c.Outputs < 0 || c.Inputs > 64 || c.Outputs > 64 || c.QueueLen < 0 {
		return nil, fmt.Errorf("osdp sim: PD 0x%02X: inputs %d / outputs %d / queue %d out of range", c.Address, c.Inputs, c.Outputs, c.QueueLen)
	}
	if c.ID == (wire.PDID{}) {
		c.ID = wire.PDID{VendorOUI: [3]byte{0x0A, 0x57, 0x1D}, Model: 1, Version: 1,
			Serial: 0x47570000 + uint32(c.Address), FirmwareMajor: 1, FirmwareMinor: 4}
	}
	return &PD{addr: c.Address, id: c.ID, queueLen: c.QueueLen, key: c.Key, log: slog.New(slog.DiscardHandler),
		rng:    rand.New(rand.NewPCG(uint64(c.Address), 0x5C)),
		inputs: make([]bool, c.Inputs), outputs: make([]bool, c.Outputs), counts: map[byte]int{}}, nil
}

// Address is the PD's bus address.
func (p *PD) Address() byte { return p.addr }

// capabilities is what the PD answers to CAP; p.mu is held. A PD with a
// key offers the secure channel (function 9: AES-128, and SCBK-D while it
// is in install mode), as a control panel that enforces it requires.
func (p *PD) capabilities() []wire.Capability {
	caps := []wire.Capability{
		{Function: wire.CapContactStatus, Compliance: 1, Count: byte(len(p.inputs))},
		{Function: wire.CapOutputControl, Compliance: 1, Count: byte(len(p.outputs))},
		{Function: wire.CapCardFormat, Compliance: 1},
		{Function: wire.CapReaderLED, Compliance: 1, Count: 1},
		{Function: wire.CapReaderAudible, Compliance: 1, Count: 1},
		{Function: wire.CapCheckCRC, Compliance: 1},
		{Function: wire.CapReceiveBuffer, Compliance: 0x00, Count: 0x01}, // 256 bytes
		{Function: wire.CapReaders, Compliance: 1, Count: 1},
		{Function: wire.CapOSDPVersion, Compliance: 2},
	}
	if p.key != nil {
		sec := wire.Capability{Function: wire.CapCommSecurity, Compliance: wire.CommSecurityAES128}
		if *p.key == sc.DefaultSCBK() {
			sec.Count = wire.CommSecurityDefault
		}
		caps = append(caps, sec)
	}
	return caps
}

func (p *PD) enqueue(code byte, payload []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) >= p.queueLen {
		p.queue = p.queue[1:]
		p.dropped++
	}
	p.queue = append(p.queue, pending{code, payload})
}

// SwipeCard presents a Wiegand card of the given format; the next POLL
// answers with its RAW read.
func (p *PD) SwipeCard(format wiegand.Format, facility, card uint32) error {
	data, bits, err := wiegand.Encode(wiegand.Credential{Format: format, Facility: facility, Card: card})
	if err != nil {
		return fmt.Errorf("osdp sim: PD 0x%02X swipe: %w", p.addr, err)
	}
	p.enqueue(wire.ReplyRAW, wire.RawCard{Format: wire.FormatWiegand, Bits: uint16(bits), Data: data}.Append(nil))
	return nil
}

// SwipeRaw presents raw card bits (MSB first, left-justified), e.g. a frame
// with bad parity.
func (p *PD) SwipeRaw(format byte, bits int, data []byte) error {
	if bits <= 0 || bits > 0xFFFF || len(data) != (bits+7)/8 {
		return fmt.Errorf("osdp sim: PD 0x%02X: %d bits do not fit %d data bytes", p.addr, bits, len(data))
	}
	p.enqueue(wire.ReplyRAW, wire.RawCard{Format: format, Bits: uint16(bits), Data: data}.Append(nil))
	return nil
}

// EnterPIN types keys ('0'–'9', '*', '#') on the keypad.
func (p *PD) EnterPIN(keys string) error {
	b, err := wire.Keypad{Keys: keys}.Append(nil)
	if err != nil {
		return fmt.Errorf("osdp sim: PD 0x%02X keypad: %w", p.addr, err)
	}
	p.enqueue(wire.ReplyKEYPAD, b)
	return nil
}

// SetTamper opens (true) or closes the tamper switch; a change is reported
// with LSTATR at the next POLL.
func (p *PD) SetTamper(open bool) {
	p.setLocal(func() bool { ch := p.tamper != open; p.tamper = open; return ch })
}

// SetPowerFailure reports mains lost (true) or restored.
func (p *PD) SetPowerFailure(failed bool) {
	p.setLocal(func() bool { ch := p.power != failed; p.power = failed; return ch })
}

func (p *PD) setLocal(change func() bool) {
	p.mu.Lock()
	changed := change()
	st := wire.LocalStatus{Tamper: p.tamper, PowerFailure: p.power}
	p.mu.Unlock()
	if changed {
		p.enqueue(wire.ReplyLSTATR, st.Append(nil))
	}
}

// SetInput sets contact input i (0 = door contact, 1 = request-to-exit); a
// change is reported with ISTATR at the next POLL.
func (p *PD) SetInput(i int, active bool) error {
	p.mu.Lock()
	if i < 0 || i >= len(p.inputs) {
		p.mu.Unlock()
		return fmt.Errorf("osdp sim: PD 0x%02X has inputs 0-%d, not %d", p.addr, len(p.inputs)-1, i)
	}
	changed := p.inputs[i] != active
	p.inputs[i] = active
	st := wire.AppendPoints(nil, p.inputs)
	p.mu.Unlock()
	if changed {
		p.enqueue(wire.ReplyISTATR, st)
	}
	return nil
}

// SetDoor opens (true) or closes the door: the door contact, input 0, is
// active while the door is open.
func (p *PD) SetDoor(open bool) error { return p.SetInput(0, open) }

// PressREX presses and releases the request-to-exit button, input 1: two
// input changes, each reported with ISTATR at a POLL.
func (p *PD) PressREX() error {
	if err := p.SetInput(1, true); err != nil {
		return err
	}
	return p.SetInput(1, false)
}

// Observed is what the control panel has told a PD to do, for tests and the
// simulator's log.
type Observed struct {
	Commands map[byte]int // commands received, by code
	Outputs  []bool
	LEDs     []wire.LEDControl
	OutCmds  []wire.OutputControl // every OUT record received, in order
	Buzzes   []wire.Buzzer
	Dropped  int  // events dropped from a full queue
	Secure   bool // a secure channel session is up
	// Key is the PD's current SCBK (nil: no secure channel); KeyChanges
	// counts the KEYSETs that changed it.
	Key        *sc.Key
	KeyChanges int
}

// Observed returns a copy of what the PD has been told so far.
func (p *PD) Observed() Observed {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := Observed{Commands: make(map[byte]int, len(p.counts)), Outputs: append([]bool(nil), p.outputs...),
		LEDs: append([]wire.LEDControl(nil), p.leds...), OutCmds: append([]wire.OutputControl(nil), p.outs...),
		Buzzes: append([]wire.Buzzer(nil), p.buzzes...), Dropped: p.dropped, Secure: p.sess != nil, KeyChanges: p.keyChanges}
	if p.key != nil {
		k := *p.key
		o.Key = &k
	}
	for k, v := range p.counts {
		o.Commands[k] = v
	}
	return o
}

// Reboot power-cycles the PD: it forgets its link (the next command must
// carry SQN 0) and its pending events.
func (p *PD) Reboot() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.link = linkState{}
	p.queue = nil
	p.hs, p.sess = nil, nil
}
