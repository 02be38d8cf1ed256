package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	osdpwire "github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/wiegand"
	sim "github.com/gridwatch/gridwatch/firmware-sim/osdp"
	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestSerialFloodSpendsTheDeviceBudget: a reader on an OSDP bus (the
// simulated PD on a pty) reports forty card reads in a rush: its events
// meet the same per-device flood budget as an MQTT device's (here 1/s,
// burst 5), are shed and counted under transport="osdp", and the reader is
// flagged once with an orange device_flooding alarm. Serial events used to
// go to the journal around ingest, unbudgeted and uncounted.
func TestSerialFloodSpendsTheDeviceBudget(t *testing.T) {
	pty := serialLine(t)
	bus, err := sim.NewBus(sim.BusConfig{Port: pty.Master, PDs: []sim.Config{{Address: 1}}, Seed: 5, Baud: 38400})
	if err != nil {
		t.Fatal(err)
	}
	runSim(t, bus.Run)
	s := startSite(t, siteOptions{mutate: func(c *config.Config) {
		c.Ingest.DeviceRate, c.Ingest.DeviceBurst = 1, 5
		c.Registry = filepath.Join(filepath.Dir(c.Registry), "registry-serial.yaml")
		reg := siteRegistry +
			fmt.Sprintf("  - {id: rd-0001, kind: reader, grid: lh-g4-07, name: 莲花苑门禁, osdp: {port: %q, address: 1}}\n", pty.SlavePath) +
			fmt.Sprintf("buses:\n  - {port: %q, protocol: osdp, baud: 38400, poll_interval: 20ms}\n", pty.SlavePath)
		if err := os.WriteFile(c.Registry, []byte(reg), 0o600); err != nil {
			t.Fatal(err)
		}
	}})
	pd := bus.PD(1)
	testsvc.Eventually(t, 30*time.Second, "the reader online", func() bool {
		return pd.Observed().Commands[osdpwire.CmdPOLL] > 0
	})
	for i := range 40 {
		if err := pd.SwipeCard(wiegand.H10301, 68, 1000+uint32(i)); err != nil {
			t.Fatal(err)
		}
	}
	testsvc.Eventually(t, 30*time.Second, "an orange device_flooding alarm for the reader", func() bool {
		l := s.alarmsOf("device_flooding", "rd-0001")
		return len(l) == 1 && l[0].Severity == "orange"
	})
	var m string
	testsvc.Eventually(t, 30*time.Second, "all forty card reads taken or shed", func() bool {
		m = s.metrics()
		return metricValue(m, `gridwatch_ingest_messages_total{kind="evt",transport="osdp"}`)+
			metricValue(m, `gridwatch_ingest_rate_limited_total{class="event",transport="osdp"}`) >= 40
	})
	if n := metricValue(m, `gridwatch_ingest_rate_limited_total{class="event",transport="osdp"}`); n < 10 {
		t.Errorf("osdp events shed: %v, want most of the forty card reads", n)
	}
	if n := metricValue(m, `gridwatch_ingest_devices_flagged_total{transport="osdp"}`); n != 1 {
		t.Errorf("osdp flood episodes: %v, want 1", n)
	}
	if n := metricValue(m, `gridwatch_ingest_messages_total{kind="evt",transport="osdp"}`); n < 1 || n > 20 {
		t.Errorf("osdp events accepted: %v, want the burst and what the budget refilled", n)
	}
	if n := metricValue(m, `gridwatch_ingest_rate_limited_total{class="event",transport="embedded"}`); n != 0 {
		t.Errorf("the reader's refusals were counted under MQTT: %v", n)
	}
	driver := `driver="osdp-` + filepath.Base(pty.SlavePath) + `"`
	if up, restarts := metricValue(m, `gridwatch_driver_up{`+driver+`}`), metricValue(m, `gridwatch_driver_restarts_total{`+driver+`}`); up != 1 || restarts != 0 {
		t.Errorf("the bus's driver: up %v, restarts %v; want it supervised, running, never restarted", up, restarts)
	}
}
