package osdp

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/serialline"
	"github.com/gridwatch/gridwatch/drivers/wiegand"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// TestRebootedPDResyncs: a PD that lost its link state answers NAK 4; the
// bus resets the link with SQN 0 and carries on without going offline.
func TestRebootedPDResyncs(t *testing.T) {
	r := startRig(t, []int{1, 2}, 115200, nil)
	pd := r.sim.PD(1)
	polls := pd.Observed().Commands[wire.CmdPOLL]
	pd.Reboot()
	eventually(t, "polling resumed after the reboot", func() bool { return pd.Observed().Commands[wire.CmdPOLL] > polls+10 })
	// Only a reset link delivers events: a PD still refusing the SQN would
	// NAK every POLL.
	if err := pd.SwipeCard(wiegand.H10301, 99, 999); err != nil {
		t.Fatal(err)
	}
	eventually(t, "card after the reboot", func() bool { return len(r.sink.find(dev(1), CardRead)) == 1 })
	if n := len(r.sink.find(dev(1), event.DeviceOffline)); n != 0 {
		t.Fatalf("a rebooted PD went offline %d times", n)
	}
}

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

// TestUnpluggedPortReopens: a failing port takes every PD offline; the bus
// reopens the port with backoff and the PDs come back.
func TestUnpluggedPortReopens(t *testing.T) {
	var pulled atomic.Bool
	var refused atomic.Int32
	r := startRig(t, []int{1, 2}, 115200, nil)
	// A second bus on its own pty, with an opener we control.
	r2 := startRigOpen(t, []int{3}, 115200, func(c *Config) { c.ReopenBackoff = 20 * time.Millisecond }, func(open Opener) Opener {
		return func(path string, m serialline.Mode) (Port, error) {
			if pulled.Load() {
				refused.Add(1)
				return nil, errors.New("no such device")
			}
			p, err := open(path, m)
			if err != nil {
				return nil, err
			}
			return pluggable{Port: p, pulled: &pulled}, nil
		}
	})
	eventually(t, "bus up", func() bool { return r2.busUp() == 1 })
	pulled.Store(true)
	eventually(t, "offline after unplug", func() bool { return len(r2.sink.find(dev(3), event.DeviceOffline)) == 1 })
	eventually(t, "several reopen attempts", func() bool { return refused.Load() >= 4 })
	if got := r2.busUp(); got != 0 {
		t.Fatalf("gridwatch_serial_bus_up = %v while unplugged, want 0", got)
	}
	faults := r2.sink.find(dev(3), serialline.BusFault)
	if len(faults) != 1 {
		t.Fatalf("%d bus.fault events over %d failed reopens, want exactly one per outage", len(faults), refused.Load())
	}
	if d := faults[0].Data; d["bus"] != "test" || d["protocol"] != "osdp" || d["error"] == "" ||
		fmt.Sprint(d["devices"]) != "[rd-0003]" {
		t.Fatalf("bus.fault data %v", d)
	}
	if n := len(r2.sink.find(dev(3), serialline.BusRestored)); n != 0 {
		t.Fatalf("%d bus.restored while still unplugged", n)
	}
	pulled.Store(false)
	eventually(t, "online after replug", func() bool { return len(r2.sink.find(dev(3), event.DeviceOnline)) == 2 })
	eventually(t, "bus.restored", func() bool { return len(r2.sink.find(dev(3), serialline.BusRestored)) == 1 })
	if d := r2.sink.find(dev(3), serialline.BusRestored)[0].Data; d["down_ms"].(int64) <= 0 || d["port"] == "" {
		t.Fatalf("bus.restored data %v", d)
	}
	eventually(t, "bus up again", func() bool { return r2.busUp() == 1 })
	time.Sleep(100 * time.Millisecond) // more cycles: still one of each
	if f, rs := len(r2.sink.find(dev(3), serialline.BusFault)), len(r2.sink.find(dev(3), serialline.BusRestored)); f != 1 || rs != 1 {
		t.Fatalf("%d bus.fault and %d bus.restored after one outage, want 1 and 1", f, rs)
	}
	if len(r.sink.find(dev(1), event.DeviceOffline)) != 0 || len(r.sink.find(dev(1), serialline.BusFault)) != 0 {
		t.Fatal("a bus on another port was disturbed")
	}
}
