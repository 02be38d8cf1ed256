package commission

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// TestSiteThresholdsJudgeCommissioning: the registry's own telemetry
// thresholds are what commissioning judges by. A 24 V box (battery_v
// below 23.0) passes at 26.1 V and fails at 22.4 V; a box with no mains
// sensor (mains off) passes without a mains check; a site-wide weak
// signal level replaces the default's; a 12 V box keeps 11.5–14.8 V. On
// the old code the 24 V box failed at 26.1 V and the box without a mains
// sensor could never pass.
func TestSiteThresholdsJudgeCommissioning(t *testing.T) {
	reg, err := registry.Parse("registry.yaml", []byte(`
grids: [{id: g, name: G, level: 4}]
telemetry_thresholds:
  lightbox:
    rssi_dbm: {below: -95, clear: -90, event: signal.weak}
devices:
  - {id: lb-12v, kind: lightbox, grid: g}
  - {id: lb-24v, kind: lightbox, grid: g, telemetry_thresholds: {battery_v: {below: 23.0, clear: 24.0}}}
  - {id: lb-24v-low, kind: lightbox, grid: g, telemetry_thresholds: {battery_v: {below: 23.0, clear: 24.0}}}
  - {id: lb-nomains, kind: lightbox, grid: g, telemetry_thresholds: {mains: {off: true}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_790_000_000, 0)
	svc, err := Open(Config{Path: filepath.Join(t.TempDir(), "c.json"), Registry: func() *registry.Registry { return reg },
		TestMode: &testMode{active: map[string]time.Time{}}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ss, err := svc.Start(Request{Grid: "g"}, permit.Console)
	if err != nil {
		t.Fatal(err)
	}
	if got := ss.Devices["lb-nomains"].Expected; slices.Contains(got, Mains) || !slices.Contains(got, Battery) {
		t.Errorf("lb-nomains expects %v: no mains check, a battery check", got)
	}
	rx := now.UnixMilli()
	for id, tel := range map[string]map[string]any{
		"lb-12v":     {"battery_v": 13.1, "rssi_dbm": -80.0, "mains": false},
		"lb-24v":     {"battery_v": 26.1, "rssi_dbm": -80.0, "mains": false},
		"lb-24v-low": {"battery_v": 22.4, "rssi_dbm": -99.0, "mains": false},
		"lb-nomains": {"battery_v": 13.4, "rssi_dbm": -70.0},
	} {
		svc.Seen(id, rx)
		for _, typ := range []string{event.ButtonPressed, event.TamperOpen} {
			svc.Event(&event.Event{Device: id, Type: typ, Received: rx})
		}
		svc.Telemetry(event.Telemetry{Device: id, Received: rx, Fields: tel})
		if tel["mains"] == false {
			svc.Telemetry(event.Telemetry{Device: id, Received: rx + 1, Fields: map[string]any{"mains": true}})
		}
		svc.CommandResult(id, "strobe", "ok", "", rx, rx+10)
	}
	got, _ := svc.Get(ss.ID, permit.Console)
	for id, want := range map[string]string{"lb-12v": Passed, "lb-24v": Passed, "lb-24v-low": Failed, "lb-nomains": Passed} {
		if d := got.Devices[id]; d.Outcome != want {
			t.Errorf("%s: %s (missing %v, out of range %v), want %s", id, d.Outcome, d.Missing, d.OutOfRange, want)
		}
	}
	if oor := got.Devices["lb-24v-low"].OutOfRange; oor["battery_v"] != 22.4 || oor["rssi_dbm"] != -99.0 {
		t.Errorf("lb-24v-low out of range %v, want battery_v 22.4 and rssi_dbm -99 (the site's -95)", oor)
	}

	svc.Telemetry(event.Telemetry{Device: "lb-12v", Received: rx + 2, Fields: map[string]any{"battery_v": 15.2}})
	if got, _ := svc.Get(ss.ID, permit.Console); got.Devices["lb-12v"].OutOfRange["battery_v"] != 15.2 {
		t.Error("a 12 V box at 15.2 V is out of the default range (overcharged)")
	}
}
