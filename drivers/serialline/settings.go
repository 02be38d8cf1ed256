package serialline

import (
	"fmt"
	"slices"
	"time"
)

// Line is one RS-485 line's settings, named the same for every serial
// driver; the registry's buses entry maps onto it key for key. A driver's
// Config embeds it (inline in YAML) next to what is its own (OSDP's
// readers and retry pause, Modbus's units and profiles).
type Line struct {
	// Name labels the bus in logs and metrics; the port path if empty.
	Name string `yaml:"name"`
	// Port is the serial device path.
	Port string `yaml:"port"`
	// Baud is the line speed; 9600 if zero.
	Baud int `yaml:"baud"`
	// Parity is none (the default), even or odd; always 8 data bits.
	Parity Parity `yaml:"parity"`
	// StopBits is 1 (0 means 1) or 2; the Modbus RTU standard wants 2
	// without parity, OSDP is always 1.
	StopBits int `yaml:"stop_bits"`
	// PollInterval is the shortest time between the starts of two polling
	// cycles; 100 ms if zero.
	PollInterval time.Duration `yaml:"poll_interval"`
	// ReplyTimeout is the wait for a reply on top of its transmit time;
	// the driver's default if zero (OSDP 200 ms, Modbus 100 ms).
	ReplyTimeout time.Duration `yaml:"reply_timeout"`
	// Reprobe is how often an offline device is tried again; the driver's
	// default if zero (OSDP 60 s, Modbus 5 s).
	Reprobe time.Duration `yaml:"reprobe"`
	// ReopenBackoff is the first wait before reopening a failed port,
	// doubling up to 30 s; 1 s if zero.
	ReopenBackoff time.Duration `yaml:"reopen_backoff"`
	// QuietAfterTimeout is how long the line stays quiet after a request
	// that got no reply, before the next request: a device that heard the
	// unanswered request may take whatever comes next for the absent
	// device's reply (libmodbus servers wait up to their response timeout,
	// 500 ms by default, for it). The driver's default if zero (Modbus
	// 600 ms; OSDP does not use it).
	QuietAfterTimeout time.Duration `yaml:"quiet_after_timeout"`
}

// Defaults every serial driver shares; ReplyTimeout and Reprobe are each
// driver's own.
const (
	DefaultBaud          = 9600
	DefaultPollInterval  = 100 * time.Millisecond
	DefaultReopenBackoff = time.Second
	MaxReopenBackoff     = 30 * time.Second
)

// WithDefaults returns l with its zero fields set: the shared defaults,
// and the driver's reply timeout and reprobe interval.
func (l Line) WithDefaults(replyTimeout, reprobe time.Duration) Line {
	if l.Name == "" {
		l.Name = l.Port
	}
	if l.Baud == 0 {
		l.Baud = DefaultBaud
	}
	if l.PollInterval == 0 {
		l.PollInterval = DefaultPollInterval
	}
	if l.ReplyTimeout == 0 {
		l.ReplyTimeout = replyTimeout
	}
	if l.Reprobe == 0 {
		l.Reprobe = reprobe
	}
	if l.ReopenBackoff == 0 {
		l.ReopenBackoff = DefaultReopenBackoff
	}
	return l
}

// Mode is how the port is opened.
func (l Line) Mode() Mode { return Mode{Baud: l.Baud, Parity: l.Parity, StopBits: l.StopBits} }

// Validate returns every problem of l for a driver of protocol (osdp,
// modbus) that takes the speeds bauds and at most maxStop stop bits, each
// error prefixed "<protocol> bus <name>".
func (l Line) Validate(protocol string, bauds []int, maxStop int) []error {
	var errs []error
	name := l.Name
	if name == "" {
		name = l.Port
	}
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s bus %q: %s", protocol, name, fmt.Sprintf(format, args...)))
	}
	if l.Port == "" {
		bad("no port")
	}
	if l.Baud != 0 && !slices.Contains(bauds, l.Baud) {
		bad("baud %d is not one of %s", l.Baud, joinInts(bauds))
	}
	if !l.Parity.Valid() {
		bad("parity %q is not one of none, even, odd", l.Parity)
	}
	if l.StopBits < 0 || l.StopBits > maxStop {
		if maxStop == 1 {
			bad("%d stop bits: %s lines have 1", l.StopBits, protocol)
		} else {
			bad("%d stop bits: want 1 or 2", l.StopBits)
		}
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"poll_interval", l.PollInterval}, {"reply_timeout", l.ReplyTimeout}, {"reprobe", l.Reprobe}, {"reopen_backoff", l.ReopenBackoff},
		{"quiet_after_timeout", l.QuietAfterTimeout}} {
		if d.v < 0 {
			bad("%s %v is negative", d.key, d.v)
		}
	}
	return errs
}

func joinInts(v []int) string {
	s := ""
	for i, n := range v {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(n)
	}
	return s
}
