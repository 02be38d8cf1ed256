package osdp

import (
	"maps"
	"testing"

	sim "github.com/gridwatch/gridwatch/firmware-sim/osdp"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// firstRead is device's events reported at the first local status after
// the start, by type.
func (c *collector) firstRead(device string) map[string]int {
	out := map[string]int{}
	for _, e := range c.Where(func(e event.Event) bool { return e.Device == device && e.Data["first_read"] == true }) {
		out[e.Type]++
	}
	return out
}

// TestFirstConnectReportsConditions: the first local status after the
// gateway starts reports tamper and mains as they are, either way, so what
// changed while the gateway was down is neither lost nor left open (a
// tamper closed meanwhile clears the alarm from before the restart); a
// reconnect later reports changes only.
func TestFirstConnectReportsConditions(t *testing.T) {
	r := startRigWith(t, rigSetup{addrs: []int{1, 2}, baud: 115200, waitAll: true, before: func(b *sim.Bus) {
		b.PD(1).SetTamper(true) // opened while the gateway was down
		b.PD(2).SetPowerFailure(true)
	}})
	want := map[string]map[string]int{
		dev(1): {event.TamperOpen: 1, event.PowerMainsRestored: 1},
		dev(2): {event.TamperClosed: 1, event.PowerMainsLost: 1},
	}
	for d, w := range want {
		eventually(t, d+" first status", func() bool { return len(r.sink.firstRead(d)) == len(w) })
		if got := r.sink.firstRead(d); !maps.Equal(got, w) {
			t.Errorf("%s at the first status: %v, want %v", d, got, w)
		}
	}
	// Offline and back: the state is not reported again, a change is.
	r.sim.PD(2).SetFaults(sim.Faults{Silent: true})
	eventually(t, "rd-0002 offline", func() bool { return len(r.sink.find(dev(2), event.DeviceOffline)) == 1 })
	r.sim.PD(2).SetPowerFailure(false)
	r.sim.PD(2).SetFaults(sim.Faults{})
	eventually(t, "rd-0002 back with mains restored", func() bool {
		return len(r.sink.find(dev(2), event.DeviceOnline)) == 2 && len(r.sink.changes(dev(2), event.PowerMainsRestored)) == 1
	})
	if got := r.sink.firstRead(dev(2)); !maps.Equal(got, want[dev(2)]) {
		t.Errorf("rd-0002 reported its state again at the reconnect: %v", got)
	}
	if n := len(r.sink.find(dev(2), event.TamperClosed)); n != 1 {
		t.Errorf("rd-0002: %d tamper.closed events, want only the first one", n)
	}
}
