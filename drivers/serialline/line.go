package serialline

import (
	"fmt"
	"io"
	"time"

	"go.bug.st/serial"
)

// Parity is a serial line's parity bit: none, even or odd.
type Parity string

// Parities. The empty Parity is none.
const (
	ParityNone Parity = "none"
	ParityEven Parity = "even"
	ParityOdd  Parity = "odd"
)

// Valid reports whether p is a known parity ("" counts as none).
func (p Parity) Valid() bool {
	switch p {
	case "", ParityNone, ParityEven, ParityOdd:
		return true
	}
	return false
}

// Mode is how a port is set up: its speed, parity and stop bits, always
// with 8 data bits (8N1, 8E1, 8O1, and 8N2 as Modbus RTU asks for when
// there is no parity).
type Mode struct {
	Baud   int
	Parity Parity
	// StopBits is 1 or 2; 0 means 1.
	StopBits int
}

// CharBits is how many bits one byte takes on the line: start, 8 data,
// the parity bit if any, stop.
func (m Mode) CharBits() int {
	n := 10
	if m.Parity == ParityEven || m.Parity == ParityOdd {
		n++
	}
	if m.StopBits == 2 {
		n++
	}
	return n
}

// TxTime is how long n bytes take on the line.
func (m Mode) TxTime(n int) time.Duration {
	if m.Baud <= 0 {
		return 0
	}
	return time.Duration(n*m.CharBits()) * time.Second / time.Duration(m.Baud)
}

// String is the mode as installers write it: "9600 8E1".
func (m Mode) String() string {
	p := "N"
	switch m.Parity {
	case ParityEven:
		p = "E"
	case ParityOdd:
		p = "O"
	}
	return fmt.Sprintf("%d 8%s%d", m.Baud, p, max(1, m.StopBits))
}

// Port is an open serial line. A read that times out returns (0, nil).
type Port interface {
	io.ReadWriteCloser
	SetReadTimeout(time.Duration) error
}

// Open opens path with go.bug.st/serial in mode m.
func Open(path string, m Mode) (Port, error) {
	parity := serial.NoParity
	switch m.Parity {
	case ParityEven:
		parity = serial.EvenParity
	case ParityOdd:
		parity = serial.OddParity
	case "", ParityNone:
	default:
		return nil, fmt.Errorf("open %s: unknown parity %q", path, m.Parity)
	}
	stop := serial.OneStopBit
	switch m.StopBits {
	case 0, 1:
	case 2:
		stop = serial.TwoStopBits
	default:
		return nil, fmt.Errorf("open %s: %d stop bits: want 1 or 2", path, m.StopBits)
	}
	p, err := serial.Open(path, &serial.Mode{BaudRate: m.Baud, DataBits: 8, Parity: parity, StopBits: stop})
	if err != nil {
		return nil, fmt.Errorf("open %s at %s: %w", path, m, err)
	}
	return p, nil
}
