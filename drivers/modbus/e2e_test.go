package modbus

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/serialline"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	sim "github.com/gridwatch/gridwatch/firmware-sim/modbus"
	"github.com/gridwatch/gridwatch/firmware-sim/osdp"
	"github.com/gridwatch/gridwatch/gateway/edge"
	"github.com/gridwatch/gridwatch/gateway/edge/edgetest"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// collector keeps what the bus reports (edgetest.Collector), with the
// counts these tests ask for.
type collector struct{ edgetest.Collector }

func (c *collector) aliveAt(device string) time.Time { return c.AliveAt(device) }

func (c *collector) count(device, typ string) int { return len(c.Find(device, typ)) }

// changes counts device's events of typ that report a change seen between
// two polls, not the state found at the first read.
func (c *collector) changes(device, typ string) int {
	return len(c.Where(func(e event.Event) bool {
		return e.Device == device && e.Type == typ && e.Data["first_read"] == nil
	}))
}

// firstRead is device's events reported at the bus's first read, by type.
func (c *collector) firstRead(device string) map[string]int {
	out := map[string]int{}
	for _, e := range c.Where(func(e event.Event) bool { return e.Device == device && e.Data["first_read"] == true }) {
		out[e.Type]++
	}
	return out
}

// eventually polls cond with a generous deadline: these tests wait on a real
// pty and a real poller, not on a schedule.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type rig struct {
	sim  *sim.Bus
	bus  *Bus
	sink *collector
}

var devices = map[byte]string{1: "lb-1", 2: "lb-2", 3: "lb-3"}

// start runs a simulated line of units 1–3 and a master polling it, and
// waits until every unit is online.
func start(t *testing.T) *rig {
	t.Helper()
	return startWith(t, nil)
}

// startWith is start with the master's configuration changed by tune.
func startWith(t *testing.T, tune func(*Config)) *rig {
	t.Helper()
	pty, err := osdp.OpenPTY()
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	s, err := sim.NewBus(sim.BusConfig{Port: pty.Master, Units: []byte{1, 2, 3}, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Line: serialline.Line{Name: "test", Port: pty.SlavePath, Baud: 115200, PollInterval: 20 * time.Millisecond,
		ReplyTimeout: 60 * time.Millisecond, Reprobe: 100 * time.Millisecond}, Retries: 2}
	for _, id := range []byte{1, 2, 3} {
		cfg.Units = append(cfg.Units, UnitConfig{Device: devices[id], Unit: int(id), Profile: "lightbox-io"})
	}
	if tune != nil {
		tune(&cfg)
	}
	r := &rig{sim: s, sink: &collector{}}
	r.bus, err = New(cfg, r.sink, Options{Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.Run(ctx); err != nil {
			t.Errorf("simulator: %v", err)
		}
	})
	wg.Go(func() {
		if err := r.bus.Run(ctx); err != nil {
			t.Errorf("master: %v", err)
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		pty.Close()
	})
	for _, d := range devices {
		eventually(t, d+" online", func() bool { return r.sink.count(d, event.DeviceOnline) == 1 })
	}
	return r
}

func TestInputsBecomeEvents(t *testing.T) {
	r := start(t)
	u := r.sim.Unit(1)
	for _, step := range []struct {
		do  func()
		typ string
	}{
		{u.Press, event.ButtonPressed},
		{func() { u.SetTamper(true) }, event.TamperOpen},
		{func() { u.SetTamper(false) }, event.TamperClosed},
		{func() { u.SetMains(false) }, event.PowerMainsLost},
		{func() { u.SetMains(true) }, event.PowerMainsRestored},
	} {
		step.do()
		eventually(t, step.typ, func() bool { return r.sink.changes("lb-1", step.typ) == 1 })
	}
	time.Sleep(100 * time.Millisecond) // several more polls
	if n := r.sink.count("lb-1", event.ButtonPressed); n != 1 {
		t.Errorf("one press gave %d button.pressed events", n)
	}
	for _, d := range []string{"lb-2", "lb-3"} {
		if n := r.sink.count(d, event.ButtonPressed); n != 0 {
			t.Errorf("%s reported %d presses it never had", d, n)
		}
	}
	st := r.bus.Status()
	if len(st) != 3 || !st[0].Online || st[0].LastSeen == 0 || len(st[0].Inputs) != 3 || !st[0].Inputs[2] {
		t.Errorf("status %+v", st)
	}
}

func TestStrobePulse(t *testing.T) {
	r := start(t)
	u := r.sim.Unit(2)
	const pulse = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sent := time.Now()
	ack := r.bus.Command(ctx, event.Command{ID: "c-1", Device: "lb-2", Cmd: "strobe", Args: map[string]any{"seconds": pulse.Seconds()}})
	if !ack.OK || ack.ID != "c-1" {
		t.Fatalf("ack %+v", ack)
	}
	if !u.Coil(sim.CoilStrobe) || u.Coil(sim.CoilSiren) || r.sim.Unit(1).Coil(sim.CoilStrobe) {
		t.Fatalf("after the ack: unit 2 coils %v, unit 1 coils %v", u.Coils(), r.sim.Unit(1).Coils())
	}
	eventually(t, "strobe off", func() bool { return !u.Coil(sim.CoilStrobe) })
	if took := time.Since(sent); took < pulse {
		t.Errorf("strobe switched off after %v, want at least %v", took, pulse)
	}

	ack = r.bus.Command(ctx, event.Command{Device: "lb-2", Cmd: "siren", Args: map[string]any{"seconds": 60}})
	if !ack.OK || !u.Coil(sim.CoilSiren) {
		t.Fatalf("siren: ack %+v, coils %v", ack, u.Coils())
	}
	ack = r.bus.Command(ctx, event.Command{Device: "lb-2", Cmd: "siren", Args: map[string]any{"seconds": 0}})
	if !ack.OK || u.Coil(sim.CoilSiren) {
		t.Fatalf("siren off: ack %+v, coils %v", ack, u.Coils())
	}

	for _, bad := range []event.Command{
		{Device: "lb-9", Cmd: "strobe", Args: map[string]any{"seconds": 1}},
		{Device: "lb-2", Cmd: "dance", Args: map[string]any{"seconds": 1}},
		{Device: "lb-2", Cmd: "strobe"},
		{Device: "lb-2", Cmd: "strobe", Args: map[string]any{"seconds": "ten"}},
		{Device: "lb-2", Cmd: "strobe", Args: map[string]any{"seconds": -1}},
		{Device: "lb-2", Cmd: "strobe", Args: map[string]any{"seconds": 7200}},
	} {
		if ack := r.bus.Command(ctx, bad); ack.OK || ack.Error == "" {
			t.Errorf("command %+v: ack %+v, want a refusal", bad, ack)
		}
	}
}

func TestNoiseIsCountedAndOthersPolled(t *testing.T) {
	r := start(t)
	rejected := func(reason string) float64 { return testutil.ToFloat64(r.bus.m.Rejected.WithLabelValues(reason)) }

	r.sim.Unit(2).SetFaults(sim.Faults{Noise: 6})
	eventually(t, "noise counted", func() bool { return rejected("garbage") >= 3 })
	r.sim.Unit(2).Press()
	eventually(t, "press through the noise", func() bool { return r.sink.count("lb-2", event.ButtonPressed) == 1 })

	r.sim.Unit(2).SetFaults(sim.Faults{BadCRC: true})
	eventually(t, "bad CRCs counted", func() bool { return rejected("bad_crc") >= 3 })
	eventually(t, "lb-2 offline", func() bool { return r.sink.count("lb-2", event.DeviceOffline) == 1 })
	before1, before3 := r.sim.Unit(1).Requests(), r.sim.Unit(3).Requests()
	r.sim.Unit(3).Press()
	eventually(t, "lb-3 still polled", func() bool { return r.sink.count("lb-3", event.ButtonPressed) == 1 })
	eventually(t, "lb-1 still polled", func() bool { return r.sim.Unit(1).Requests() > before1+5 && r.sim.Unit(3).Requests() > before3+5 })

	r.sim.Unit(2).SetFaults(sim.Faults{})
	eventually(t, "lb-2 back online", func() bool { return r.sink.count("lb-2", event.DeviceOnline) == 2 })
	for _, d := range []string{"lb-1", "lb-3"} {
		if n := r.sink.count(d, event.DeviceOffline); n != 0 {
			t.Errorf("%s went offline %d times because of lb-2's line noise", d, n)
		}
	}
}

func TestSilentUnitGoesOffline(t *testing.T) {
	r := start(t)
	r.sim.Unit(3).SetFaults(sim.Faults{Silent: true})
	eventually(t, "lb-3 offline", func() bool { return r.sink.count("lb-3", event.DeviceOffline) == 1 })
	if testutil.ToFloat64(r.bus.m.Timeouts) < 3 {
		t.Errorf("offline after %v timeouts, want the first try and 2 retries", testutil.ToFloat64(r.bus.m.Timeouts))
	}
	if st := r.bus.Status(); st[2].Online || !st[0].Online {
		t.Errorf("status %+v", st)
	}
	r.sim.Unit(1).Press()
	eventually(t, "lb-1 still polled", func() bool { return r.sink.count("lb-1", event.ButtonPressed) == 1 })
	r.sim.Unit(3).SetTamper(true) // changed while it was away
	r.sim.Unit(3).SetFaults(sim.Faults{})
	eventually(t, "lb-3 online again", func() bool { return r.sink.count("lb-3", event.DeviceOnline) == 2 })
	eventually(t, "tamper seen on return", func() bool { return r.sink.count("lb-3", event.TamperOpen) == 1 })
	if n := r.sink.count("lb-3", event.DeviceOffline); n != 1 {
		t.Errorf("%d offline events, want 1", n)
	}
}

// TestAnsweringUnitsAreReportedAlive: the bus tells its sink, every few
// seconds, which units answer their polls; a unit that went silent is no
// longer reported.
func TestAnsweringUnitsAreReportedAlive(t *testing.T) {
	r := start(t)
	for _, d := range []string{"lb-1", "lb-2", "lb-3"} {
		eventually(t, d+" alive", func() bool { return !r.sink.aliveAt(d).IsZero() })
	}
	r.sim.Unit(3).SetFaults(sim.Faults{Silent: true})
	eventually(t, "lb-3 offline", func() bool { return r.sink.count("lb-3", event.DeviceOffline) == 1 })
	last := r.sink.aliveAt("lb-3")
	since := r.sink.aliveAt("lb-1")
	eventually(t, "two more reports of lb-1", func() bool { return r.sink.aliveAt("lb-1").Sub(since) > edge.LifeEvery })
	if at := r.sink.aliveAt("lb-3"); !at.Equal(last) {
		t.Errorf("silent lb-3 reported alive at %v after it went offline", at)
	}
}
