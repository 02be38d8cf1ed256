package osdp

import (
	"errors"
	"fmt"
	"time"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/serialline"
	"github.com/gridwatch/gridwatch/drivers/wiegand"
)

// Config is one OSDP bus: its line (the settings every serial driver
// names alike; OSDP defaults: 9600 8N1, a poll every 100 ms, a reply
// timeout of 200 ms, an offline PD re-probed every 60 s) and its readers.
type Config struct {
	serialline.Line `yaml:",inline"`
	// PDs are the readers on the line.
	PDs []PDConfig `yaml:"pds"`
	// Retries is how often a command is resent with the same SQN before the
	// PD is declared offline; 8 if zero, no retries if negative.
	Retries int `yaml:"retries"`
	// RetryWait is the pause before each retry; 800 ms if zero.
	RetryWait time.Duration `yaml:"retry_wait"`
}

// OSDP's own defaults of the line.
const (
	DefaultReplyTimeout = 200 * time.Millisecond
	DefaultReprobe      = 60 * time.Second
)

// Bauds are the line speeds OSDP takes.
var Bauds = []int{9600, 19200, 38400, 57600, 115200, 230400}

// PDConfig is one reader on a bus.
type PDConfig struct {
	// Device is the registry id events are reported under.
	Device string `yaml:"device"`
	// Address is the PD's OSDP address, 0–126.
	Address int `yaml:"address"`
	// Format is the Wiegand layout of its cards: h10301, h10306 or zk34.
	// Empty: chosen by bit count (26 → h10301, 34 → h10306).
	Format string `yaml:"format"`
	// Key makes the PD secure: "default" (SCBK-D, install mode) or its
	// 32-hex-digit SCBK. A secure PD that fails the handshake or answers in
	// clear text raises a tamper alarm; it is never polled in clear.
	Key string `yaml:"key"`
	// Provision allows moving the PD off the install-mode key: when the PD
	// does not accept Key (32 hex digits), the bus opens the secure channel
	// with SCBK-D, sends KEYSET with Key inside it, re-opens the channel
	// with Key and reports reader.rekeyed. Without it, a PD that only knows
	// SCBK-D is a tamper alarm. Keep it on only while commissioning: SCBK-D
	// is public, so whoever listens to the line then learns the new key.
	Provision bool `yaml:"provision"`
	// Door, when set, makes access decisions at this reader from its card
	// list (unless Options.Decider decides).
	Door *Door `yaml:"door"`
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	c.Line = c.Line.WithDefaults(DefaultReplyTimeout, DefaultReprobe)
	if c.Retries == 0 {
		c.Retries = 8
	} else if c.Retries < 0 {
		c.Retries = 0
	}
	if c.RetryWait == 0 {
		c.RetryWait = 800 * time.Millisecond
	}
	return c
}

// Validate returns every problem of c at once.
func (c Config) Validate() error {
	errs := c.Line.Validate("osdp", Bauds, 1)
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.PDs) == 0 {
		bad("osdp bus %q: no PDs", c.Name)
	}
	if c.RetryWait < 0 {
		bad("osdp bus %q: retry_wait %v is negative", c.Name, c.RetryWait)
	}
	seen := map[int]string{}
	devs := map[string]bool{}
	for i, p := range c.PDs {
		where := fmt.Sprintf("osdp bus %q: pds[%d] (%s)", c.Name, i, p.Device)
		if p.Device == "" {
			bad("%s: no device id", where)
		} else if devs[p.Device] {
			bad("%s: device listed twice", where)
		}
		devs[p.Device] = true
		if p.Address < 0 || p.Address > int(wire.MaxAddress) {
			bad("%s: address %d outside 0-126", where, p.Address)
		} else if other, dup := seen[p.Address]; dup {
			bad("%s: address %d already used by %s", where, p.Address, other)
		}
		seen[p.Address] = p.Device
		if _, keyNo, err := parseKey(p.Key); err != nil {
			bad("%s: %v", where, err)
		} else if p.Provision && keyNo != 1 {
			bad("%s: provision needs the key to set: 32 hex digits, not %q", where, p.Key)
		}
		if p.Door != nil {
			for _, err := range p.Door.validate() {
				bad("%s: %v", where, err)
			}
		}
		if p.Format != "" {
			if _, err := wiegand.ParseFormat(p.Format); err != nil {
				bad("%s: %v", where, err)
			}
		}
	}
	return errors.Join(errs...)
}
