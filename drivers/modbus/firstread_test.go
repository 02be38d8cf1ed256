package modbus

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/serialline"
	sim "github.com/gridwatch/gridwatch/firmware-sim/modbus"
	"github.com/gridwatch/gridwatch/firmware-sim/osdp"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// simLine is a simulated line of units 1–3 on a pty that outlives the
// masters started on it, as the modules outlive a gateway restart.
type simLine struct {
	sim  *sim.Bus
	path string
}

func startSimLine(t *testing.T) *simLine {
	t.Helper()
	pty, err := osdp.OpenPTY()
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	s, err := sim.NewBus(sim.BusConfig{Port: pty.Master, Units: []byte{1, 2, 3}, Seed: 5})
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
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		pty.Close()
	})
	return &simLine{sim: s, path: pty.SlavePath}
}

// master starts a fresh master (a gateway start) on the line and returns
// its sink and a stop function that waits for it to end.
func (l *simLine) master(t *testing.T) (*collector, func()) {
	t.Helper()
	cfg := Config{Line: serialline.Line{Name: "test", Port: l.path, Baud: 115200, PollInterval: 20 * time.Millisecond,
		ReplyTimeout: 60 * time.Millisecond, Reprobe: 100 * time.Millisecond}, Retries: 2}
	for _, id := range []byte{1, 2, 3} {
		cfg.Units = append(cfg.Units, UnitConfig{Device: devices[id], Unit: int(id), Profile: BuiltinProfile})
	}
	sink := &collector{}
	b, err := New(cfg, sink, Options{Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := b.Run(ctx); err != nil {
			t.Errorf("master: %v", err)
		}
	}()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	for _, d := range devices {
		eventually(t, d+" online", func() bool { return sink.count(d, event.DeviceOnline) == 1 })
	}
	return sink, stop
}

// TestFirstReadReportsConditions: the master's first read of a unit reports
// the state of its conditions (tamper, mains) — active or not — so what
// changed while the gateway was down is neither lost nor left open; a
// button found active at start is not a press.
func TestFirstReadReportsConditions(t *testing.T) {
	l := startSimLine(t)
	l.sim.Unit(1).SetTamper(true) // open before the gateway starts
	l.sim.Unit(2).SetMains(false)
	if err := l.sim.Unit(3).SetInput(sim.InputButton, true); err != nil { // a stuck button
		t.Fatal(err)
	}
	sink, _ := l.master(t)
	want := map[string]map[string]int{
		"lb-1": {event.TamperOpen: 1, event.PowerMainsRestored: 1},
		"lb-2": {event.TamperClosed: 1, event.PowerMainsLost: 1},
		"lb-3": {event.TamperClosed: 1, event.PowerMainsRestored: 1},
	}
	for d, w := range want {
		eventually(t, d+" first read", func() bool { return len(sink.firstRead(d)) == len(w) })
		if got := sink.firstRead(d); !maps.Equal(got, w) {
			t.Errorf("%s at first read: %v, want %v", d, got, w)
		}
	}
	time.Sleep(100 * time.Millisecond) // several more polls
	for d, w := range want {
		if got := sink.firstRead(d); !maps.Equal(got, w) {
			t.Errorf("%s reported its state again: %v, want %v once", d, got, w)
		}
	}
	if n := sink.count("lb-3", event.ButtonPressed); n != 0 {
		t.Errorf("a button held at start gave %d presses", n)
	}
	l.sim.Unit(1).SetTamper(false)
	eventually(t, "tamper closed on lb-1", func() bool { return sink.changes("lb-1", event.TamperClosed) == 1 })
}

// TestStateAcrossARestart: a tamper opened under one master and closed
// while no master runs is reported closed by the next; one opened while
// none runs is reported open.
func TestStateAcrossARestart(t *testing.T) {
	l := startSimLine(t)
	sink, stop := l.master(t)
	l.sim.Unit(1).SetTamper(true)
	eventually(t, "tamper open on lb-1", func() bool { return sink.changes("lb-1", event.TamperOpen) == 1 })
	stop() // the gateway goes down
	l.sim.Unit(1).SetTamper(false)
	l.sim.Unit(2).SetTamper(true)
	sink, _ = l.master(t)
	eventually(t, "lb-1 reported closed", func() bool { return sink.count("lb-1", event.TamperClosed) == 1 })
	eventually(t, "lb-2 reported open", func() bool { return sink.count("lb-2", event.TamperOpen) == 1 })
	if n := sink.count("lb-1", event.TamperOpen); n != 0 {
		t.Errorf("lb-1 reported open %d times after it closed", n)
	}
}
