package modbus

import (
	"fmt"
	"io"
	"time"

	"go.bug.st/serial"
)

// Port is an open serial line. A read that times out returns (0, nil).
type Port interface {
	io.ReadWriteCloser
	SetReadTimeout(time.Duration) error
}

// Opener opens a serial line at a speed.
type Opener func(path string, baud int) (Port, error)

// OpenSerial opens path with go.bug.st/serial, 8N1.
func OpenSerial(path string, baud int) (Port, error) {
	p, err := serial.Open(path, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, fmt.Errorf("open %s at %d baud: %w", path, baud, err)
	}
	return p, nil
}

var _ Opener = OpenSerial

// readSlice is the serial read timeout: it bounds every Read, so waiting
// for a reply never busy-spins and never outlives its deadline by more.
const readSlice = 10 * time.Millisecond
