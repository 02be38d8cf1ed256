package modbus

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/serialline"
	"github.com/gridwatch/gridwatch/gateway/event"
)

func TestValidate(t *testing.T) {
	good := Config{Line: serialline.Line{Port: "/dev/ttyUSB1"}, Units: []UnitConfig{{Device: "io-0003", Unit: 3, Profile: "lightbox-io"}}}
	if err := good.Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for _, tc := range []struct {
		name, want string
		edit       func(*Config)
	}{
		{"no port", "no port", func(c *Config) { c.Port = "" }},
		{"odd baud", "baud 1234", func(c *Config) { c.Baud = 1234 }},
		{"no units", "no units", func(c *Config) { c.Units = nil }},
		{"negative poll interval", "poll_interval -1s is negative", func(c *Config) { c.PollInterval = -time.Second }},
		{"three stop bits", "3 stop bits: want 1 or 2", func(c *Config) { c.StopBits = 3 }},
		{"unit 0", "unit id 0 outside", func(c *Config) { c.Units[0].Unit = 0 }},
		{"unit 248", "unit id 248 outside", func(c *Config) { c.Units[0].Unit = 248 }},
		{"no device", "no device id", func(c *Config) { c.Units[0].Device = "" }},
		{"profile", `unknown profile "relay-8"`, func(c *Config) { c.Units[0].Profile = "relay-8" }},
		{"duplicate unit", "unit id 3 already used by io-0003", func(c *Config) {
			c.Units = append(c.Units, UnitConfig{Device: "io-0004", Unit: 3, Profile: "lightbox-io"})
		}},
		{"duplicate device", "device listed twice", func(c *Config) {
			c.Units = append(c.Units, UnitConfig{Device: "io-0003", Unit: 4, Profile: "lightbox-io"})
		}},
		{"parity", `parity "mark"`, func(c *Config) { c.Parity = "mark" }},
		{"stop bits", `3 stop bits: want 1 or 2`, func(c *Config) { c.StopBits = 3 }},
		{"built-in redefined", `profile "lightbox-io" is built in`, func(c *Config) {
			c.Profiles = map[string]Profile{"lightbox-io": {Inputs: 1}}
		}},
		{"profile without inputs", `profile "door-io": inputs 0 outside 1-2000`, func(c *Config) {
			c.Profiles = map[string]Profile{"door-io": {}}
		}},
		{"edge past the inputs", `edges[0]: input 4 outside 0-3`, func(c *Config) {
			c.Profiles = map[string]Profile{"door-io": {Inputs: 4, Edges: []Edge{{Input: 4, Rising: "door.forced"}}}}
		}},
		{"edge twice", `edges[1]: input 0 given twice`, func(c *Config) {
			c.Profiles = map[string]Profile{"door-io": {Inputs: 4, Edges: []Edge{{Input: 0, Rising: "a"}, {Input: 0, Falling: "b"}}}}
		}},
		{"edge with no event", `give rising, falling or both`, func(c *Config) {
			c.Profiles = map[string]Profile{"door-io": {Inputs: 4, Edges: []Edge{{Input: 1}}}}
		}},
		{"coil", `output beacon: coil 70000 outside`, func(c *Config) {
			c.Profiles = map[string]Profile{"door-io": {Inputs: 1, Outputs: map[string]Output{"beacon": {Coil: 70000}}}}
		}},
		{"pulse", `output beacon: pulse -1s outside`, func(c *Config) {
			c.Profiles = map[string]Profile{"door-io": {Inputs: 1, Outputs: map[string]Output{"beacon": {Pulse: -time.Second}}}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			c.Units = append([]UnitConfig(nil), good.Units...)
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
			if _, err := New(c, &collector{}, Options{}); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
	if _, err := New(good, nil, Options{}); err == nil {
		t.Error("New without a sink succeeded")
	}
}

func TestTwoBusesShareARegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	for _, port := range []string{"/dev/ttyUSB1", "/dev/ttyUSB2"} {
		c := Config{Line: serialline.Line{Port: port}, Units: []UnitConfig{{Device: "io" + port[len(port)-1:], Unit: 1, Profile: "lightbox-io"}}}
		if _, err := New(c, &collector{}, Options{Registerer: reg}); err != nil {
			t.Fatalf("%s: %v", port, err)
		}
	}
}

// TestPortFailure: a port that cannot be opened is retried with backoff,
// commands are refused meanwhile, and Run stops when cancelled.
func TestPortFailure(t *testing.T) {
	var mu sync.Mutex
	opens := 0
	open := func(string, serialline.Mode) (Port, error) {
		mu.Lock()
		defer mu.Unlock()
		opens++
		return nil, errors.New("no such device")
	}
	c := Config{Line: serialline.Line{Port: "/dev/ttyUSB9", ReopenBackoff: time.Millisecond},
		Units: []UnitConfig{{Device: "io-1", Unit: 1, Profile: "lightbox-io"}}}
	sink := &collector{}
	b, err := New(c, sink, Options{Open: open})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	eventually(t, "reopen attempts", func() bool { mu.Lock(); defer mu.Unlock(); return opens >= 3 })
	cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer ccancel()
	if ack := b.Command(cctx, event.Command{Device: "io-1", Cmd: "strobe", Args: map[string]any{"seconds": 1}}); ack.OK || !strings.Contains(ack.Error, "port is down") {
		t.Errorf("command while the port is down: %+v", ack)
	}
	if n := sink.count("io-1", event.DeviceOffline); n != 1 {
		t.Errorf("%d offline events, want 1", n)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
}
