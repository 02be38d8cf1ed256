package telemetry

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestDrainFigures measures, against a local InfluxDB 1.8, how long the
// backlog of a 10-minute outage at county rate (20,000 devices, one sample
// each every 10 s: 1.2 M points) takes to drain through the real Writer
// with its default batch size and pacing, and so the sustained points/s.
// It runs only with GRIDWATCH_BENCH=1:
//
//	GRIDWATCH_BENCH=1 go test -run TestDrainFigures -v -timeout 20m ./gateway/telemetry
func TestDrainFigures(t *testing.T) {
	if os.Getenv("GRIDWATCH_BENCH") != "1" {
		t.Skip("set GRIDWATCH_BENCH=1 to measure (a few minutes, 1.2 M points)")
	}
	const (
		devices = 20000
		every   = 10 * time.Second
		outage  = 10 * time.Minute
		points  = devices * int(outage/every)
	)
	x := testsvc.InfluxDB(t)
	dir := t.TempDir()
	devs := make([]*registry.Device, devices)
	for i := range devs {
		devs[i] = &registry.Device{ID: fmt.Sprintf("lb-%05d", i), Kind: registry.Lightbox, Grid: fmt.Sprintf("g4-%03d", i%500)}
	}

	// The outage: a writer whose InfluxDB is away spools the backlog.
	down := influxHarness(t, x, Config{SpoolDir: dir})
	down.w.cfg.URL = "http://127.0.0.1:1" // influxHarness points it at x
	stopDown := down.run(t)
	start := time.Now()
	base := int64(1_800_000_000_000)
	for i := range points {
		tick := int64(i / devices)
		d := devs[i%devices]
		down.w.Write(event.Telemetry{Device: d.ID, TS: base + tick*every.Milliseconds(), Fields: map[string]any{
			"battery_v": 12 + float64(i%100)/100, "temp_c": 20 + float64(i%15), "rssi_dbm": -60 - float64(i%30), "mains": i%7 != 0}}, d, nil)
		if i%5000 == 4999 {
			if err := down.w.sp.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	stopDown()
	if d := down.points(t, "dropped"); d != 0 {
		t.Fatalf("%d points dropped while spooling the backlog", d)
	}
	t.Logf("spooled %d points from %d devices in %v", points, devices, time.Since(start).Round(time.Millisecond))

	// InfluxDB is back: the next writer drains the spool.
	up := influxHarness(t, x, Config{SpoolDir: dir, FlushInterval: DefaultFlushInterval})
	start = time.Now()
	stopUp := up.run(t)
	defer stopUp()
	testsvc.Eventually(t, 15*time.Minute, "backlog drained", func() bool { return up.points(t, "written") >= points })
	took := time.Since(start)
	t.Logf("drained %d points in %v: %.0f points/s sustained (batch %d, pacing cap %d points/s)",
		points, took.Round(time.Millisecond), float64(points)/took.Seconds(), DefaultBatchSize, DefaultMaxPointsPerSecond)
	res := x.Query(t, `SELECT COUNT("battery_v") FROM `+Measurement)
	if len(res) != 1 || len(res[0].Values) != 1 || res[0].Values[0][1] != float64(points) {
		t.Errorf("InfluxDB counts %v points, want %d", res, points)
	}
}
