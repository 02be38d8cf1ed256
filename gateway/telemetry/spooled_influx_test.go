package telemetry

import (
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// These tests take a real InfluxDB 1.8 away and back while a spooled
// writer streams to it, and check with InfluxQL that every point arrived
// exactly once.

// seqSample is point number i of dev: its seq field is i, its time unique.
func seqSample(dev *registry.Device, i int) event.Telemetry {
	return event.Telemetry{Device: dev.ID, TS: 1_800_000_000_000 + int64(i), Fields: map[string]any{"seq": float64(i)}}
}

// exactlyOnce fails the test unless InfluxDB holds points 0..n-1 of
// device, each once.
func exactlyOnce(t *testing.T, x *testsvc.Influx, device string, n int) {
	t.Helper()
	rows := rowsOf(t, x, device)
	seen := make(map[int]int, n)
	for _, r := range rows {
		seq, ok := r["seq"].(float64)
		if !ok {
			t.Fatalf("row without seq: %v", r)
		}
		seen[int(seq)]++
	}
	for i := range n {
		if seen[i] != 1 {
			t.Errorf("point %d of %s stored %d times, want once", i, device, seen[i])
		}
	}
	if len(rows) != n {
		t.Errorf("InfluxDB holds %d points of %s, want %d", len(rows), device, n)
	}
}

func TestInfluxDBSpooled(t *testing.T) {
	x := testsvc.InfluxDB(t)

	t.Run("an outage mid-stream loses and doubles nothing", func(t *testing.T) {
		h := influxHarness(t, x, Config{SpoolDir: t.TempDir(), BatchSize: 50})
		stop := h.run(t)
		defer stop()
		dev := &registry.Device{ID: "lb-0600", Kind: registry.Lightbox, Grid: "lh-g4-07"}
		for i := range 200 {
			h.w.Write(seqSample(dev, i), dev, nil)
		}
		testsvc.Eventually(t, patience, "200 points written while up", func() bool { return h.points(t, "written") == 200 })

		x.Stop()
		start := time.Now()
		for i := 200; i < 500; i++ { // a few seconds of stream while down
			h.w.Write(seqSample(dev, i), dev, nil)
			time.Sleep(10 * time.Millisecond)
		}
		if took := time.Since(start); took > patience {
			t.Fatalf("300 Writes took %v while InfluxDB was down: Write blocks", took)
		}
		if w := h.points(t, "written"); w != 200 {
			t.Fatalf("written = %d while InfluxDB was down, want 200", w)
		}
		x.Start()
		testsvc.Eventually(t, patience, "all 500 written", func() bool { return h.points(t, "written") == 500 })
		if d, fl := h.points(t, "dropped"), h.points(t, "failed"); d != 0 || fl != 0 {
			t.Errorf("dropped/failed = %d/%d, want 0/0", d, fl)
		}
		exactlyOnce(t, x, dev.ID, 500)
	})

	t.Run("points spooled while down survive a gateway restart", func(t *testing.T) {
		dir := t.TempDir()
		dev := &registry.Device{ID: "lb-0601", Kind: registry.Lightbox, Grid: "lh-g4-07"}
		x.Stop()
		h := influxHarness(t, x, Config{SpoolDir: dir, BatchSize: 50})
		stop := h.run(t)
		for i := range 300 {
			h.w.Write(seqSample(dev, i), dev, nil)
		}
		testsvc.Eventually(t, patience, "300 points spooled", func() bool { return h.depth(t) == 300 })
		stop() // the gateway stops with InfluxDB still down
		if w, d := h.points(t, "written"), h.points(t, "dropped"); w != 0 || d != 0 {
			t.Fatalf("written/dropped = %d/%d before InfluxDB came back, want 0/0", w, d)
		}

		x.Start()
		h2 := influxHarness(t, x, Config{SpoolDir: dir, BatchSize: 50})
		if d := h2.depth(t); d != 300 {
			t.Errorf("the new writer finds %d points in the spool, want 300", d)
		}
		stop2 := h2.run(t)
		defer stop2()
		testsvc.Eventually(t, patience, "300 points written by the new writer", func() bool { return h2.points(t, "written") == 300 })
		exactlyOnce(t, x, dev.ID, 300)
		if d := h2.depth(t); d != 0 {
			t.Errorf("depth = %d after the backlog was sent", d)
		}
	})
}
