package telemetry

import (
	"fmt"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// These tests write to a real InfluxDB 1.8 (internal/testsvc) and read the
// points back with InfluxQL, as an operator's dashboard would.

// patience bounds every wait for the real server; generous, the machine
// may be busy.
const patience = 90 * time.Second

func influxHarness(t *testing.T, x *testsvc.Influx, cfg Config) *harness {
	t.Helper()
	cfg.URL, cfg.Org = x.URL, x.Org
	if cfg.Token == "" {
		cfg.Token = x.Token
	}
	if cfg.Bucket == "" {
		cfg.Bucket = x.Bucket
	}
	if cfg.FlushInterval == 0 {
		cfg.FlushInterval = 20 * time.Millisecond
	}
	return newHarness(t, cfg)
}

// rowsOf returns the stored rows of one device.
func rowsOf(t *testing.T, x *testsvc.Influx, device string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	for _, s := range x.Query(t, fmt.Sprintf(`SELECT * FROM %s WHERE device = '%s'`, Measurement, device)) {
		rows = append(rows, s.Rows()...)
	}
	return rows
}

func TestInfluxDB(t *testing.T) {
	x := testsvc.InfluxDB(t)

	t.Run("points keep their tags, fields and time", func(t *testing.T) {
		h := influxHarness(t, x, Config{})
		stop := h.run(t)
		defer stop()
		lb := &registry.Device{ID: "lb-0001", Kind: registry.Lightbox, Grid: "lh-g4-07"}
		cam := &registry.Device{ID: "cam-0001", Kind: registry.Camera, Grid: "lh-g4-07"}
		g4 := &registry.Grid{ID: "lh-g4-07", Level: 4, Parent: "lianhua"}
		g5 := &registry.Grid{ID: "lh-g5-01", Level: 5, Parent: "lh-g4-07"}
		h.w.Write(event.Telemetry{Device: "lb-0001", TS: 1_732_345_678_123,
			Fields: map[string]any{"battery_v": 12.4, "mains": true, "fw": "1.2.3", "boots": 7}}, lb, g4)
		h.w.Write(event.Telemetry{Device: "lb-0001", TS: 1_732_345_678_124,
			Fields: map[string]any{"battery_v": 12.3, "mains": false, "fw": "1.2.3", "boots": 7}}, lb, g4)
		h.w.Write(event.Telemetry{Device: "cam-0001", TS: 1_732_345_679_000,
			Fields: map[string]any{"temp_c": 31.5}}, cam, g5) // the grid given wins over the device's

		testsvc.Eventually(t, patience, "3 points stored", func() bool { return x.Count(t, Measurement) == 3 })

		rows := rowsOf(t, x, "lb-0001")
		if len(rows) != 2 {
			t.Fatalf("lb-0001 rows = %v", rows)
		}
		want := map[string]any{"time": 1732345678123.0, "site": "lianhua", "grid": "lh-g4-07", "device": "lb-0001",
			"kind": "lightbox", "battery_v": 12.4, "mains": true, "fw": "1.2.3", "boots": 7.0}
		for k, v := range want {
			if rows[0][k] != v {
				t.Errorf("lb-0001 first row %s = %#v, want %#v (row %v)", k, rows[0][k], v, rows[0])
			}
		}
		if rows[1]["time"] != 1732345678124.0 || rows[1]["mains"] != false {
			t.Errorf("lb-0001 second row = %v (millisecond timestamps must stay apart)", rows[1])
		}
		if cr := rowsOf(t, x, "cam-0001"); len(cr) != 1 || cr[0]["grid"] != "lh-g5-01" || cr[0]["kind"] != "camera" || cr[0]["temp_c"] != 31.5 {
			t.Errorf("cam-0001 rows = %v", cr)
		}

		// site, grid, device and kind are tags (indexed, GROUP BY-able), not fields.
		series := x.Query(t, `SELECT count(battery_v) FROM `+Measurement+` GROUP BY site, grid, device, kind`)
		if len(series) != 1 || series[0].Tags["site"] != "lianhua" || series[0].Tags["kind"] != "lightbox" {
			t.Errorf("GROUP BY tags = %+v", series)
		}
		// Integers are stored as floats, so a later 12.5 cannot conflict.
		for _, s := range x.Query(t, `SHOW FIELD KEYS FROM `+Measurement) {
			for _, r := range s.Rows() {
				if r["fieldKey"] == "boots" && r["fieldType"] != "float" {
					t.Errorf("boots stored as %v, want float", r["fieldType"])
				}
			}
		}
		testsvc.Eventually(t, patience, "metrics", func() bool { return h.points(t, "written") == 3 })
	})

	t.Run("a partial write counts only the refused point as failed", func(t *testing.T) {
		h := influxHarness(t, x, Config{BatchSize: 2, FlushInterval: time.Hour})
		stop := h.run(t)
		defer stop()
		dev := &registry.Device{ID: "io-0003", Kind: registry.IO, Grid: "lh-g4-07"}
		h.w.Write(event.Telemetry{Device: dev.ID, TS: 1000, Fields: map[string]any{"relay": true}}, dev, nil)
		h.w.Write(event.Telemetry{Device: dev.ID, TS: 1001, Fields: map[string]any{"relay": true}}, dev, nil)
		testsvc.Eventually(t, patience, "first batch written", func() bool { return h.points(t, "written") == 2 })
		// "relay" is now boolean; a number in it conflicts.
		h.w.Write(event.Telemetry{Device: dev.ID, TS: 1002, Fields: map[string]any{"relay": 1.0}}, dev, nil)
		h.w.Write(event.Telemetry{Device: dev.ID, TS: 1003, Fields: map[string]any{"relay": false}}, dev, nil)
		testsvc.Eventually(t, patience, "second batch settled", func() bool { return h.points(t, "failed") == 1 })
		if w := h.points(t, "written"); w != 3 {
			t.Errorf("written = %d, want 3", w)
		}
		if rows := rowsOf(t, x, dev.ID); len(rows) != 3 {
			t.Errorf("stored rows = %v, want 3", rows)
		}
		if len(h.log.Lines("points discarded", "kind=rejected", "field type conflict")) != 1 {
			t.Errorf("want one log line naming the conflict:\n%s", h.log)
		}
	})

	rejected := []struct {
		name, token, bucket, kind string
	}{
		{"wrong password", "user:wrong", "", "unauthorized"},
		{"no such database", "", "nope/rp", "not_found"},
	}
	for _, tc := range rejected {
		t.Run("rejected: "+tc.name, func(t *testing.T) {
			h := influxHarness(t, x, Config{Token: tc.token, Bucket: tc.bucket})
			stop := h.run(t)
			defer stop()
			dev, grid := lightbox()
			for i := range 3 {
				h.w.Write(tel(int64(i), 12), dev, grid)
			}
			testsvc.Eventually(t, patience, "3 points failed", func() bool { return h.points(t, "failed") == 3 })
			if w := h.points(t, "written"); w != 0 {
				t.Errorf("written = %d", w)
			}
			if len(h.log.Lines("points discarded", "kind="+tc.kind)) == 0 {
				t.Errorf("no log line of kind %s:\n%s", tc.kind, h.log)
			}
		})
	}

	// Last: it stops and restarts the server.
	t.Run("Write never blocks while InfluxDB is down", func(t *testing.T) {
		h := influxHarness(t, x, Config{Queue: 100, BatchSize: 10})
		stop := h.run(t)
		defer stop()
		dev := &registry.Device{ID: "lb-0500", Kind: registry.Lightbox, Grid: "lh-g4-07"}
		sample := func(i int) event.Telemetry {
			return event.Telemetry{Device: dev.ID, TS: 1_800_000_000_000 + int64(i), Fields: map[string]any{"seq": float64(i)}}
		}
		for i := range 5 {
			h.w.Write(sample(i), dev, nil)
		}
		testsvc.Eventually(t, patience, "5 points written while up", func() bool { return h.points(t, "written") == 5 })

		x.Stop()
		const n = 1000
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 5; i < 5+n; i++ {
				h.w.Write(sample(i), dev, nil)
			}
		}()
		select {
		case <-done:
		case <-time.After(patience):
			t.Fatalf("%d Writes did not return within %v while InfluxDB was down: Write blocks", n, patience)
		}
		// The writer holds at most one batch (10) and the queue 100; the rest is shed.
		if d := h.points(t, "dropped"); d < n-110 || d > n-100 {
			t.Fatalf("dropped = %d, want %d..%d", d, n-110, n-100)
		}
		if len(h.log.Lines("kind=queue_full")) != 1 {
			t.Errorf("want one (rate-limited) queue-full line:\n%s", h.log)
		}

		x.Start()
		testsvc.Eventually(t, patience, "every point written or dropped", func() bool {
			return h.points(t, "written")+h.points(t, "dropped") == n+5
		})
		if fl := h.points(t, "failed"); fl != 0 {
			t.Errorf("failed = %d, want 0: an outage is retried, not failed", fl)
		}
		if got, want := len(rowsOf(t, x, dev.ID)), h.points(t, "written"); got != want {
			t.Errorf("InfluxDB holds %d points of %s, the writer counted %d written", got, dev.ID, want)
		}
		if d := h.depth(t); d != 0 {
			t.Errorf("queue depth = %d after recovery", d)
		}
	})
}
