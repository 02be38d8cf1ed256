package modbus

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/gridwatch/gridwatch/drivers/serialline"
)

// Config is one Modbus RTU bus.
type Config struct {
	// Name labels the bus in logs and metrics; the port path if empty.
	Name string `yaml:"name"`
	// Port is the serial device path.
	Port string `yaml:"port"`
	// Baud is the line speed; 9600 if zero.
	Baud int `yaml:"baud"`
	// Parity is none (the default), even or odd; always 8 data bits.
	Parity serialline.Parity `yaml:"parity"`
	// StopBits is 1 (0 means 1) or 2: the Modbus RTU standard wants 2
	// without parity, though many modules ship set to 8N1.
	StopBits int `yaml:"stop_bits"`
	// Units are the I/O modules on the line.
	Units []UnitConfig `yaml:"units"`
	// Profiles are device profiles of this site, by name, next to the
	// built-in ones (see Profiles); a built-in name cannot be redefined.
	Profiles map[string]Profile `yaml:"profiles"`

	// Interval is the shortest time between the starts of two polling
	// cycles; 100 ms if zero.
	Interval time.Duration `yaml:"interval"`
	// Timeout is the wait for a reply on top of its transmit time; 100 ms
	// if zero.
	Timeout time.Duration `yaml:"timeout"`
	// Retries is how many failed polls in a row a unit is allowed before it
	// is reported offline (it goes offline on the next); 3 if zero, none if
	// negative. Commands are retried as often.
	Retries int `yaml:"retries"`
	// Reprobe is how often an offline unit is tried again; 5 s if zero.
	Reprobe time.Duration `yaml:"reprobe"`
	// ReopenBackoff is the first wait before reopening a failed port,
	// doubling up to 30 s; 1 s if zero.
	ReopenBackoff time.Duration `yaml:"reopen_backoff"`
}

// UnitConfig is one I/O module.
type UnitConfig struct {
	// Device is the registry id events are reported under.
	Device string `yaml:"device"`
	// Unit is the Modbus unit id, 1–247.
	Unit int `yaml:"unit"`
	// Profile names the module's point map: a built-in one (see Profiles)
	// or one of Config.Profiles.
	Profile string `yaml:"profile"`
}

func (c Config) withDefaults() Config {
	if c.Baud == 0 {
		c.Baud = 9600
	}
	if c.Interval == 0 {
		c.Interval = 100 * time.Millisecond
	}
	if c.Timeout == 0 {
		c.Timeout = 100 * time.Millisecond
	}
	if c.Retries == 0 {
		c.Retries = 3
	} else if c.Retries < 0 {
		c.Retries = 0
	}
	if c.Reprobe == 0 {
		c.Reprobe = 5 * time.Second
	}
	if c.ReopenBackoff == 0 {
		c.ReopenBackoff = time.Second
	}
	if c.Name == "" {
		c.Name = c.Port
	}
	return c
}

// Validate returns every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	name := c.Name
	if name == "" {
		name = c.Port
	}
	if c.Port == "" {
		bad("modbus bus %q: no port", name)
	}
	switch c.Baud {
	case 0, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200:
	default:
		bad("modbus bus %q: baud %d is not one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200", name, c.Baud)
	}
	if !c.Parity.Valid() {
		bad("modbus bus %q: parity %q is not one of none, even, odd", name, c.Parity)
	}
	if c.StopBits < 0 || c.StopBits > 2 {
		bad("modbus bus %q: %d stop bits: want 1 or 2", name, c.StopBits)
	}
	if len(c.Units) == 0 {
		bad("modbus bus %q: no units", name)
	}
	builtin := Profiles()
	for _, pname := range sortedNames(c.Profiles) {
		if _, dup := builtin[pname]; dup {
			bad("modbus bus %q: profile %q is built in and cannot be redefined", name, pname)
			continue
		}
		for _, err := range c.Profiles[pname].validate(pname) {
			bad("modbus bus %q: %v", name, err)
		}
	}
	for field, d := range map[string]time.Duration{"interval": c.Interval, "timeout": c.Timeout,
		"reprobe": c.Reprobe, "reopen_backoff": c.ReopenBackoff} {
		if d < 0 {
			bad("modbus bus %q: %s %v is negative", name, field, d)
		}
	}
	profiles := c.profiles()
	ids := map[int]string{}
	devs := map[string]bool{}
	for i, u := range c.Units {
		where := fmt.Sprintf("modbus bus %q: units[%d] (%s)", name, i, u.Device)
		if u.Device == "" {
			bad("%s: no device id", where)
		} else if devs[u.Device] {
			bad("%s: device listed twice", where)
		}
		devs[u.Device] = true
		if u.Unit < 1 || u.Unit > 247 {
			bad("%s: unit id %d outside 1-247", where, u.Unit)
		} else if other, dup := ids[u.Unit]; dup {
			bad("%s: unit id %d already used by %s", where, u.Unit, other)
		}
		ids[u.Unit] = u.Device
		if _, ok := profiles[u.Profile]; !ok {
			bad("%s: unknown profile %q", where, u.Profile)
		}
	}
	return errors.Join(errs...)
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
