package osdp

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/serialline"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/wiegand"
	sim "github.com/gridwatch/gridwatch/firmware-sim/osdp"
	"github.com/gridwatch/gridwatch/gateway/edge/edgetest"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// collector keeps what the bus reports (edgetest.Collector).
type collector struct{ edgetest.Collector }

func (c *collector) aliveAt(device string) time.Time { return c.AliveAt(device) }

func (c *collector) find(device, typ string) []event.Event { return c.Find(device, typ) }

// changes is find without the state reported at the first read after a
// start (data first_read).
func (c *collector) changes(device, typ string) []event.Event {
	return c.Where(func(e event.Event) bool {
		return e.Device == device && e.Type == typ && e.Data["first_read"] == nil
	})
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
		time.Sleep(10 * time.Millisecond)
	}
}

type rig struct {
	sim  *sim.Bus
	cp   *Bus
	sink *collector
	reg  *prometheus.Registry
}

func dev(addr int) string { return fmt.Sprintf("rd-%04d", addr) }

// startRig runs a PD simulator on one end of a pty and the control panel on
// the other, with short retry settings.
func startRig(t *testing.T, addrs []int, baud int, tune func(*Config)) *rig {
	t.Helper()
	return startRigOpen(t, addrs, baud, tune, nil)
}

// rigSetup is the whole of a rig's configuration.
type rigSetup struct {
	addrs   []int
	baud    int
	tune    func(*Config)
	wrap    func(Opener) Opener
	pdTune  func(*sim.Config)
	before  func(*sim.Bus) // runs before the simulator and the poller start
	waitAll bool           // wait for every PD to come online
}

// startRigOpen is startRig with the serial opener wrapped by wrap.
func startRigOpen(t *testing.T, addrs []int, baud int, tune func(*Config), wrap func(Opener) Opener) *rig {
	t.Helper()
	return startRigWith(t, rigSetup{addrs: addrs, baud: baud, tune: tune, wrap: wrap, waitAll: true})
}

func startRigWith(t *testing.T, s rigSetup) *rig {
	t.Helper()
	addrs, baud, tune, wrap := s.addrs, s.baud, s.tune, s.wrap
	pty, err := sim.OpenPTY()
	if err != nil {
		t.Skipf("no pty on this machine: %v", err)
	}
	var pds []sim.Config
	cfg := Config{Line: serialline.Line{Name: "test", Port: pty.SlavePath, Baud: baud, ReplyTimeout: 100 * time.Millisecond,
		Reprobe: 300 * time.Millisecond, PollInterval: 10 * time.Millisecond}, Retries: 2, RetryWait: 20 * time.Millisecond}
	for _, a := range addrs {
		pc := sim.Config{Address: byte(a)}
		if s.pdTune != nil {
			s.pdTune(&pc)
		}
		pds = append(pds, pc)
		cfg.PDs = append(cfg.PDs, PDConfig{Device: dev(a), Address: a})
	}
	if tune != nil {
		tune(&cfg)
	}
	sb, err := sim.NewBus(sim.BusConfig{Port: pty.Master, PDs: pds, Seed: 7, Baud: baud})
	if err != nil {
		t.Fatal(err)
	}
	if s.before != nil {
		s.before(sb)
	}
	r := &rig{sim: sb, sink: &collector{}, reg: prometheus.NewRegistry()}
	opt := Options{Registerer: r.reg}
	if wrap != nil {
		opt.Open = wrap(OpenSerial)
	}
	r.cp, err = New(cfg, r.sink, opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, run := range []func(context.Context) error{sb.Run, r.cp.Run} {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- run(ctx) }()
	}
	t.Cleanup(func() {
		cancel()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("simulator or poller did not stop within 10 s of cancel")
		}
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		}
		pty.Close()
	})
	for _, a := range addrs {
		if !s.waitAll {
			break
		}
		eventually(t, dev(a)+" online", func() bool { return len(r.sink.find(dev(a), event.DeviceOnline)) > 0 })
	}
	return r
}

func (r *rig) rejected() map[string]float64 {
	out := map[string]float64{}
	mfs, _ := r.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "gridwatch_serial_frames_rejected_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" {
					out[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

// busUp reads gridwatch_serial_bus_up of the rig's bus.
func (r *rig) busUp() float64 {
	mfs, _ := r.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "gridwatch_serial_bus_up" {
			for _, m := range mf.GetMetric() {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

func total(m map[string]float64) float64 {
	var s float64
	for _, v := range m {
		s += v
	}
	return s
}

func TestCardSwipeBecomesEvent(t *testing.T) {
	r := startRig(t, []int{1, 2}, 9600, func(c *Config) { c.PDs[1].Format = "h10306" })
	on := r.sink.find(dev(1), event.DeviceOnline)[0]
	if on.Data["firmware"] != "1.4.0" || on.Source != event.SourceOSDP {
		t.Fatalf("online event %+v: want the PD's identity", on)
	}
	st := r.cp.Status()
	if st[0].State != "online" || st[0].ID == nil || len(st[0].Capabilities) == 0 {
		t.Fatalf("status after connect: %+v, want ID and CAP read", st[0])
	}
	if err := r.sim.PD(1).SwipeCard(wiegand.H10301, 68, 41551); err != nil {
		t.Fatal(err)
	}
	if err := r.sim.PD(2).SwipeCard(wiegand.H10306, 1000, 12345); err != nil {
		t.Fatal(err)
	}
	eventually(t, "card reads", func() bool {
		return len(r.sink.find(dev(1), CardRead)) == 1 && len(r.sink.find(dev(2), CardRead)) == 1
	})
	for _, tc := range []struct {
		device string
		want   map[string]any
	}{
		{dev(1), map[string]any{"card": "41551", "facility": 68, "bits": 26, "format": "h10301"}},
		{dev(2), map[string]any{"card": "12345", "facility": 1000, "bits": 34, "format": "h10306"}},
	} {
		got := r.sink.find(tc.device, CardRead)[0].Data
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s card.read %s = %v, want %v (data %v)", tc.device, k, got[k], v, got)
			}
		}
	}
	// A bad-parity read is counted, not reported.
	bad, _, _ := wiegand.Encode(wiegand.Credential{Format: wiegand.H10301, Facility: 1, Card: 2})
	bad[1] ^= 0x10
	if err := r.sim.PD(1).SwipeRaw(wire.FormatWiegand, 26, bad); err != nil {
		t.Fatal(err)
	}
	eventually(t, "bad card counted", func() bool { return r.rejected()[reasonBadCard] == 1 })

	if err := r.sim.PD(2).EnterPIN("1234#"); err != nil {
		t.Fatal(err)
	}
	r.sim.PD(1).SetTamper(true)
	r.sim.PD(1).SetPowerFailure(true)
	r.sim.PD(1).SetTamper(false)
	eventually(t, "pin, tamper and power events", func() bool {
		return len(r.sink.find(dev(2), KeypadPIN)) == 1 && len(r.sink.changes(dev(1), event.TamperClosed)) == 1 &&
			len(r.sink.changes(dev(1), event.PowerMainsLost)) == 1
	})
	if pin := r.sink.find(dev(2), KeypadPIN)[0].Data["pin"]; pin != "1234#" {
		t.Fatalf("pin = %v", pin)
	}
	if n := len(r.sink.changes(dev(1), event.TamperOpen)); n != 1 {
		t.Fatalf("%d tamper.open events, want 1", n)
	}
	if len(r.sink.find(dev(1), CardRead)) != 1 {
		t.Fatal("the bad-parity read became an event")
	}
}

// TestNoiseIsCountedAndOthersKeepPolling: a PD whose replies are damaged on
// the line has its frames rejected and counted; the PDs beside it are polled
// on, and nobody goes offline while retries succeed.
func TestNoiseIsCountedAndOthersKeepPolling(t *testing.T) {
	r := startRig(t, []int{1, 2, 3}, 115200, func(c *Config) { c.Retries = 3 })
	r.sim.PD(2).SetFaults(sim.Faults{Noise: 6, FlipBit: true, Every: 2})
	r.sim.PD(3).SetFaults(sim.Faults{Truncate: true, Every: 3})
	before := map[byte]int{}
	for _, a := range []byte{1, 2, 3} {
		before[a] = r.sim.PD(a).Observed().Commands[wire.CmdPOLL]
	}
	eventually(t, "damaged frames counted", func() bool {
		rj := r.rejected()
		return rj[string(wire.ReasonGarbage)] >= 5 && rj[string(wire.ReasonCheck)]+rj[string(wire.ReasonGap)] >= 5
	})
	eventually(t, "every PD polled on", func() bool {
		for _, a := range []byte{1, 2, 3} {
			if r.sim.PD(a).Observed().Commands[wire.CmdPOLL] < before[a]+20 {
				return false
			}
		}
		return true
	})
	if err := r.sim.PD(2).SwipeCard(wiegand.H10301, 90, 324); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the card read through the noise", func() bool { return len(r.sink.find(dev(2), CardRead)) == 1 })
	for _, a := range []int{1, 2, 3} {
		if n := len(r.sink.find(dev(a), event.DeviceOffline)); n != 0 {
			t.Fatalf("%s went offline %d times on a noisy line with retries left", dev(a), n)
		}
	}
	t.Logf("rejected frames by reason: %v", r.rejected())
	if total(r.rejected()) == 0 {
		t.Fatal("nothing rejected")
	}
}

// TestSilentPDGoesOffline: a PD that stops answering is declared offline
// after exactly the configured retries, the others stay online, and it comes
// back through a re-probe.
func TestSilentPDGoesOffline(t *testing.T) {
	r := startRig(t, []int{1, 2, 3}, 115200, nil)
	silent := r.sim.PD(2)
	silent.SetFaults(sim.Faults{Silent: true})
	polls := silent.Observed().Commands[wire.CmdPOLL]
	eventually(t, "rd-0002 offline", func() bool { return len(r.sink.find(dev(2), event.DeviceOffline)) == 1 })
	if got := silent.Observed().Commands[wire.CmdPOLL] - polls; got > 3 {
		t.Fatalf("%d POLLs before offline, want at most 1 + 2 retries", got)
	}
	eventually(t, "status offline", func() bool { return r.cp.Status()[1].State == "offline" })
	p1 := r.sim.PD(1).Observed().Commands[wire.CmdPOLL]
	eventually(t, "others polled on", func() bool { return r.sim.PD(1).Observed().Commands[wire.CmdPOLL] > p1+10 })
	silent.SetFaults(sim.Faults{})
	eventually(t, "rd-0002 back online", func() bool { return len(r.sink.find(dev(2), event.DeviceOnline)) == 2 })
	for _, a := range []int{1, 3} {
		if n := len(r.sink.find(dev(a), event.DeviceOffline)); n != 0 {
			t.Fatalf("%s went offline", dev(a))
		}
	}
}

// TestMissingPDAtStart: a configured PD that never answers is reported
// offline once, never alive, and does not hold up the others.
func TestMissingPDAtStart(t *testing.T) {
	r := startRig(t, []int{1}, 115200, func(c *Config) {
		c.PDs = append(c.PDs, PDConfig{Device: "rd-absent", Address: 9})
	})
	eventually(t, "absent PD offline", func() bool { return len(r.sink.find("rd-absent", event.DeviceOffline)) == 1 })
	p1 := r.sim.PD(1).Observed().Commands[wire.CmdPOLL]
	eventually(t, "PD 1 polled on", func() bool { return r.sim.PD(1).Observed().Commands[wire.CmdPOLL] > p1+10 })
	if n := len(r.sink.find("rd-absent", event.DeviceOffline)); n != 1 {
		t.Fatalf("absent PD reported offline %d times, want once", n)
	}
	// The PD that answers is reported alive to the sink; the absent one never.
	eventually(t, "rd-0001 alive", func() bool { return !r.sink.aliveAt(dev(1)).IsZero() })
	if at := r.sink.aliveAt("rd-absent"); !at.IsZero() {
		t.Errorf("a PD that never answered was reported alive at %v", at)
	}
}
