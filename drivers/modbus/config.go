package modbus

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/gridwatch/gridwatch/drivers/serialline"
)

// Config is one Modbus RTU bus: its line (the settings every serial
// driver names alike; Modbus defaults: 9600 8N1, a poll every 100 ms, a
// reply timeout of 100 ms, 600 ms of quiet after a request that got no
// reply, an offline unit re-probed every 5 s), its units
// and the site's profiles.
//
// The line's poll_interval and reply_timeout were interval and timeout
// before the drivers shared one Line; the registry's buses entry, the
// public contract, has always said poll_interval and reply_timeout.
type Config struct {
	serialline.Line `yaml:",inline"`
	// Units are the I/O modules on the line.
	Units []UnitConfig `yaml:"units"`
	// Profiles are device profiles of this site, by name, next to the
	// built-in ones (see Profiles); a built-in name cannot be redefined.
	Profiles map[string]Profile `yaml:"profiles"`
	// Retries is how many failed polls in a row a unit is allowed before it
	// is reported offline (it goes offline on the next); 3 if zero, none if
	// negative. Commands are retried as often.
	Retries int `yaml:"retries"`
}

// Modbus's own defaults of the line.
const (
	DefaultReplyTimeout = 100 * time.Millisecond
	DefaultReprobe      = 5 * time.Second
	// DefaultQuietAfterTimeout is the line's silence after a request that
	// got no reply. A libmodbus RTU server that hears a request for
	// another unit takes the next frame on the line as that unit's reply
	// and drops it, waiting up to its response timeout (500 ms by default)
	// for it: with an absent unit on the line, a request sent sooner is
	// lost to the libmodbus neighbour. 600 ms clears that default with a
	// margin. It costs only while a unit is absent: its polls, and then
	// its probe every reprobe interval.
	DefaultQuietAfterTimeout = 600 * time.Millisecond
)

// Bauds are the line speeds the Modbus driver takes.
var Bauds = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200}

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
	c.Line = c.Line.WithDefaults(DefaultReplyTimeout, DefaultReprobe)
	if c.QuietAfterTimeout == 0 {
		c.QuietAfterTimeout = DefaultQuietAfterTimeout
	}
	if c.Retries == 0 {
		c.Retries = 3
	} else if c.Retries < 0 {
		c.Retries = 0
	}
	return c
}

// Validate returns every problem of c at once.
func (c Config) Validate() error {
	errs := c.Line.Validate("modbus", Bauds, 2)
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	name := c.Name
	if name == "" {
		name = c.Port
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
