package osdp

import (
	"time"

	"github.com/gridwatch/gridwatch/drivers/serialline"
)

// Port is an open serial line. A read that times out returns (0, nil).
type Port = serialline.Port

// Opener opens a serial line in a mode (speed, parity).
type Opener func(path string, m serialline.Mode) (Port, error)

// OpenSerial opens path with go.bug.st/serial: 8 data bits, 1 stop bit,
// the mode's speed and parity.
func OpenSerial(path string, m serialline.Mode) (Port, error) { return serialline.Open(path, m) }

var _ Opener = OpenSerial

// readSlice is the serial read timeout: it bounds every Read (no busy
// spinning: a timeout returns (0, nil) after this long) and doubles as the
// inter-character gap check.
const readSlice = 20 * time.Millisecond
