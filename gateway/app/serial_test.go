package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	sim "github.com/gridwatch/gridwatch/firmware-sim/osdp"
	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestOSDPReaderTamperPagesTheSecurityRoom runs the daemon with a reader on
// an OSDP bus (a pty pair, the simulated reader on the other end): the
// reader's tamper switch opens, the security room is paged with an orange
// alarm, and it clears when the switch closes.
func TestOSDPReaderTamperPagesTheSecurityRoom(t *testing.T) {
	pty, err := sim.OpenPTY()
	if err != nil {
		t.Skipf("no pty on this machine: %v", err)
	}
	t.Cleanup(func() { pty.Close() })
	bus, err := sim.NewBus(sim.BusConfig{Port: pty.Master, PDs: []sim.Config{{Address: 1}}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = bus.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })

	s := startSite(t, siteOptions{mutate: func(c *config.Config) {
		reg := siteRegistry + fmt.Sprintf("  - {id: rd-0001, kind: reader, grid: lh-g4-07, name: 莲花苑门禁, osdp: {port: %q, address: 1}}\n", pty.SlavePath)
		c.Registry = filepath.Join(filepath.Dir(c.Registry), "registry-serial.yaml")
		if err := os.WriteFile(c.Registry, []byte(reg), 0o600); err != nil {
			t.Fatal(err)
		}
	}})
	phones := s.phones("room1")

	bus.PD(1).SetTamper(true)
	var a alarm.Alarm
	testsvc.Eventually(t, 30*time.Second, "tamper alarm from the reader", func() bool {
		for _, n := range phones["room1"].all() {
			if n.Device == "rd-0001" && n.Rule == "tamper" {
				s.getJSON("/api/v1/alarms/"+n.AlarmID, &a)
				return true
			}
		}
		return false
	})
	if a.Severity != "orange" || a.State != alarm.Open {
		t.Errorf("tamper alarm %+v", a)
	}
	bus.PD(1).SetTamper(false)
	testsvc.Eventually(t, 30*time.Second, "tamper alarm cleared", func() bool {
		s.getJSON("/api/v1/alarms/"+a.ID, &a)
		return a.State == alarm.Cleared
	})
}
