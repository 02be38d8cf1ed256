package modbus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/drivers/osdp"
	"github.com/gridwatch/gridwatch/drivers/serialline"
	sim "github.com/gridwatch/gridwatch/firmware-sim/modbus"
	simosdp "github.com/gridwatch/gridwatch/firmware-sim/osdp"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// pluggable wraps a port that can be pulled out like a USB adapter.
type pluggable struct {
	Port
	pulled *atomic.Bool
}

func (p pluggable) Read(b []byte) (int, error) {
	if p.pulled.Load() {
		return 0, errors.New("port has been closed")
	}
	return p.Port.Read(b)
}

func (c *collector) find(device, typ string) []event.Event { return c.Find(device, typ) }

// TestUnpluggedPortReportsOneFault: pulling the adapter gives exactly one
// bus.fault (under the first unit) however often the reopen fails, the
// bus_up gauge drops to 0, and the replug gives one bus.restored.
func TestUnpluggedPortReportsOneFault(t *testing.T) {
	pty, err := simosdp.OpenPTY()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	s, err := sim.NewBus(sim.BusConfig{Port: pty.Master, Units: []byte{1, 2}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var pulled atomic.Bool
	var refused atomic.Int32
	open := func(path string, m serialline.Mode) (Port, error) {
		if pulled.Load() {
			refused.Add(1)
			return nil, errors.New("no such device")
		}
		p, err := OpenSerial(path, m)
		if err != nil {
			return nil, err
		}
		return pluggable{Port: p, pulled: &pulled}, nil
	}
	cfg := Config{Line: serialline.Line{Name: "rs485-a", Port: pty.SlavePath, Baud: 115200, PollInterval: 20 * time.Millisecond,
		ReplyTimeout: 60 * time.Millisecond, Reprobe: 100 * time.Millisecond, ReopenBackoff: 10 * time.Millisecond}, Retries: 2,
		Units: []UnitConfig{{Device: "lb-1", Unit: 1, Profile: "lightbox-io"}, {Device: "lb-2", Unit: 2, Profile: "lightbox-io"}}}
	sink := &collector{}
	reg := prometheus.NewRegistry()
	b, err := New(cfg, sink, Options{Registerer: reg, Open: open})
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
		if err := b.Run(ctx); err != nil {
			t.Errorf("master: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait(); pty.Close() })

	up := func() float64 { return testutil.ToFloat64(b.m.Up) }
	eventually(t, "both units online", func() bool {
		return sink.count("lb-1", event.DeviceOnline) == 1 && sink.count("lb-2", event.DeviceOnline) == 1
	})
	eventually(t, "bus up", func() bool { return up() == 1 })
	pulled.Store(true)
	eventually(t, "several failed reopens", func() bool { return refused.Load() >= 4 })
	if up() != 0 {
		t.Fatalf("gridwatch_serial_bus_up = %v while unplugged, want 0", up())
	}
	faults := sink.find("lb-1", serialline.BusFault)
	if len(faults) != 1 {
		t.Fatalf("%d bus.fault events over %d failed reopens, want exactly one", len(faults), refused.Load())
	}
	d := faults[0].Data
	if d["bus"] != "rs485-a" || d["protocol"] != "modbus" || !strings.Contains(d["error"].(string), "port has been closed") ||
		fmt.Sprint(d["devices"]) != "[lb-1 lb-2]" {
		t.Fatalf("bus.fault data %v", d)
	}
	if n := sink.count("lb-2", serialline.BusFault); n != 0 {
		t.Fatalf("bus.fault also reported under lb-2 (%d)", n)
	}
	if sink.count("lb-1", event.DeviceOffline) != 1 || sink.count("lb-2", event.DeviceOffline) != 1 {
		t.Fatal("units not reported offline with the port")
	}
	pulled.Store(false)
	eventually(t, "bus.restored", func() bool { return sink.count("lb-1", serialline.BusRestored) == 1 })
	eventually(t, "units back", func() bool { return sink.count("lb-2", event.DeviceOnline) == 2 })
	if up() != 1 {
		t.Fatalf("gridwatch_serial_bus_up = %v after the replug, want 1", up())
	}
	time.Sleep(100 * time.Millisecond) // more cycles
	if f, r := sink.count("lb-1", serialline.BusFault), sink.count("lb-1", serialline.BusRestored); f != 1 || r != 1 {
		t.Fatalf("%d bus.fault, %d bus.restored after one outage; want 1 and 1", f, r)
	}
}

// TestBusUpSharedWithOSDP: both serial drivers declare
// gridwatch_serial_bus_up identically, so one registry takes both.
func TestBusUpSharedWithOSDP(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(Config{Line: serialline.Line{Name: "m", Port: "/dev/x"}, Units: []UnitConfig{{Device: "io-1", Unit: 1, Profile: "lightbox-io"}}},
		&collector{}, Options{Registerer: reg}); err != nil {
		t.Fatal(err)
	}
	if _, err := osdp.New(osdp.Config{Line: serialline.Line{Name: "o", Port: "/dev/y"}, PDs: []osdp.PDConfig{{Device: "rd-1", Address: 1}}},
		&collector{}, osdp.Options{Registerer: reg}); err != nil {
		t.Fatalf("the OSDP driver's metrics clash with the Modbus driver's: %v", err)
	}
	if n := testutil.CollectAndCount(reg, "gridwatch_serial_bus_up"); n != 2 {
		t.Fatalf("%d bus_up series, want one per bus", n)
	}
}
