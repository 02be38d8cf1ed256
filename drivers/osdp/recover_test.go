package osdp

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
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
		return func(path string, baud int) (Port, error) {
			if pulled.Load() {
				refused.Add(1)
				return nil, errors.New("no such device")
			}
			p, err := open(path, baud)
			if err != nil {
				return nil, err
			}
			return pluggable{Port: p, pulled: &pulled}, nil
		}
	})
	pulled.Store(true)
	eventually(t, "offline after unplug", func() bool { return len(r2.sink.find(dev(3), event.DeviceOffline)) == 1 })
	eventually(t, "reopen attempts", func() bool { return refused.Load() >= 2 })
	pulled.Store(false)
	eventually(t, "online after replug", func() bool { return len(r2.sink.find(dev(3), event.DeviceOnline)) == 2 })
	if len(r.sink.find(dev(1), event.DeviceOffline)) != 0 {
		t.Fatal("a bus on another port was disturbed")
	}
}
