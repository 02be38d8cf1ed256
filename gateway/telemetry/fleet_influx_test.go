package telemetry

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// fleetParams size one fleet run.
type fleetParams struct {
	devices   int           // simulated devices
	producers int           // goroutines sending for them
	warmup    time.Duration // live traffic before the measured span
	sustain   time.Duration // the measured span of live traffic
	backlog   time.Duration // the outage: its backlog is sustain rate × this
	lag       int64         // live traffic keeps at most this many points unsent
	patience  time.Duration // bound on each wait (drain included)
	maxPPS    int           // Config.MaxPointsPerSecond; 0: the default
}

// fleetFigures is what a fleet run measured.
type fleetFigures struct {
	sustainedPPS  float64       // points/s written to InfluxDB with live traffic
	livePoints    int           // points sent live (phase 1)
	backlogPoints int           // points spooled while InfluxDB was down
	spooledBytes  float64       // what the backlog added to the telemetry spool on disk
	buildTook     time.Duration // to spool the backlog (as fast as the spool took it)
	firstWrite    time.Duration // InfluxDB back → first backlog batch written (writer backoff)
	drainTook     time.Duration // InfluxDB back → every backlog point written
}

// fleet is the simulated devices. Producer k owns the devices i with
// i%producers == k and is the only one to touch their counters, so every
// point is unique (device, seq) and the run can be counted exactly.
type fleet struct {
	devs []*registry.Device
	sent []int // samples sent per device
}

func newFleet(n int) *fleet {
	f := &fleet{devs: make([]*registry.Device, n), sent: make([]int, n)}
	for i := range f.devs {
		f.devs[i] = &registry.Device{ID: fmt.Sprintf("lb-%05d", i), Kind: registry.Lightbox, Grid: fmt.Sprintf("g4-%03d", i%500)}
	}
	return f
}

// send writes device i's next sample: the fields of a light box, one
// sample per 10 s of its own (synthetic) time.
func (f *fleet) send(w *Writer, i int) {
	k := f.sent[i]
	f.sent[i]++
	d := f.devs[i]
	w.Write(event.Telemetry{Device: d.ID, TS: 1_800_000_000_000 + int64(k)*10_000, Fields: map[string]any{
		"seq": float64(k), "battery_v": 12 + float64((i+k)%100)/100, "temp_c": 20 + float64(k%15),
		"rssi_dbm": -60 - float64(i%30), "mains": (i+k)%7 != 0}}, d, nil)
}

func (f *fleet) total() int {
	n := 0
	for _, s := range f.sent {
		n += s
	}
	return n
}

// runFleet streams telemetry from p.devices simulated devices through a
// spooled Writer (production batch size, flush interval and pacing) into
// x, and measures:
//
//  1. live: the producers send as fast as the pipeline takes it, never
//     more than p.lag points ahead of InfluxDB; the written rate over
//     p.sustain is the sustained points/s;
//  2. outage: InfluxDB stopped, a backlog of that rate × p.backlog is
//     spooled to disk;
//  3. drain: InfluxDB started again, the time until every backlog point
//     is written, with no new traffic.
//
// It fails unless InfluxDB ends up holding every point sent, once: the
// count per device equals what that device sent, and nothing was dropped
// or failed.
func runFleet(t *testing.T, x *testsvc.Influx, p fleetParams) fleetFigures {
	t.Helper()
	var fig fleetFigures
	f := newFleet(p.devices)
	h := influxHarness(t, x, Config{SpoolDir: t.TempDir(), FlushInterval: DefaultFlushInterval, SpoolBytes: 64 << 30,
		MaxPointsPerSecond: p.maxPPS})
	stop := h.run(t)
	defer stop()

	// 1. Live traffic, closed loop on the unsent depth.
	var halt atomic.Bool
	var wg sync.WaitGroup
	for k := range p.producers {
		wg.Go(func() {
			for !halt.Load() {
				for i := k; i < p.devices && !halt.Load(); i += p.producers {
					for h.w.sp.Depth() >= p.lag && !halt.Load() {
						time.Sleep(time.Millisecond)
					}
					f.send(h.w, i)
				}
			}
		})
	}
	time.Sleep(p.warmup)
	w1, t1 := h.points(t, "written"), time.Now()
	time.Sleep(p.sustain)
	w2, t2 := h.points(t, "written"), time.Now()
	halt.Store(true)
	wg.Wait()
	fig.sustainedPPS = float64(w2-w1) / t2.Sub(t1).Seconds()
	fig.livePoints = f.total()
	testsvc.Eventually(t, p.patience, "live points written", func() bool { return h.points(t, "written") == fig.livePoints })
	if fig.sustainedPPS <= 0 {
		t.Fatalf("no points written in %v of live traffic", p.sustain)
	}

	// 2. The outage: the backlog goes to the spool. One producer, flushing
	// the spool's buffer every 5000 points so that none is refused.
	before := h.metricLabelled(t, "gridwatch_spool_bytes", "spool", spoolName)
	x.Stop()
	fig.backlogPoints = max(1, int(fig.sustainedPPS*p.backlog.Seconds()))
	start := time.Now()
	for n := range fig.backlogPoints {
		f.send(h.w, n%p.devices)
		if n%5000 == 4999 {
			if err := h.w.sp.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := h.w.sp.Flush(); err != nil {
		t.Fatal(err)
	}
	fig.buildTook = time.Since(start)
	fig.spooledBytes = h.metricLabelled(t, "gridwatch_spool_bytes", "spool", spoolName) - before
	if d, fl := h.points(t, "dropped"), h.points(t, "failed"); d != 0 || fl != 0 {
		t.Fatalf("dropped/failed = %d/%d while spooling the backlog, want 0/0", d, fl)
	}
	if w := h.points(t, "written"); w != fig.livePoints {
		t.Fatalf("written = %d with InfluxDB down, want the %d live points", w, fig.livePoints)
	}

	// 3. InfluxDB is back: the running writer drains the spool.
	x.Start()
	back := time.Now()
	total := f.total()
	testsvc.Eventually(t, p.patience, "backlog drained", func() bool {
		w := h.points(t, "written")
		if fig.firstWrite == 0 && w > fig.livePoints {
			fig.firstWrite = time.Since(back)
		}
		return w >= total
	})
	fig.drainTook = time.Since(back)
	if w, d, fl := h.points(t, "written"), h.points(t, "dropped"), h.points(t, "failed"); w != total || d != 0 || fl != 0 {
		t.Errorf("written/dropped/failed = %d/%d/%d, want %d/0/0", w, d, fl, total)
	}
	fleetStoredOnce(t, x, f)
	return fig
}

// fleetStoredOnce fails unless InfluxDB holds, for every device, exactly
// the samples it sent (seq 0..n-1 at distinct times, so a point stored
// twice would overwrite itself and one lost would lower the count).
func fleetStoredOnce(t *testing.T, x *testsvc.Influx, f *fleet) {
	t.Helper()
	want := make(map[string]int, len(f.devs))
	for i, d := range f.devs {
		want[d.ID] = f.sent[i]
	}
	got := make(map[string]int, len(f.devs))
	// By tenths of the grids (g4-000..g4-499), so that no one query over
	// millions of points runs into the query timeout.
	for c := range 50 {
		q := fmt.Sprintf(`SELECT COUNT("seq"), MAX("seq") FROM %s WHERE "grid" =~ /^g4-%02d/ GROUP BY "device"`, Measurement, c)
		for _, s := range x.Query(t, q) {
			dev := s.Tags["device"]
			for _, r := range s.Rows() {
				n, _ := r["count"].(float64)
				top, _ := r["max"].(float64)
				got[dev] += int(n)
				if int(top) != want[dev]-1 {
					t.Errorf("%s: highest seq stored %v, want %d", dev, top, want[dev]-1)
				}
			}
		}
	}
	stored, sent := 0, 0
	for dev, n := range want {
		sent += n
		stored += got[dev]
		if got[dev] != n {
			t.Errorf("%s: InfluxDB holds %d points, want %d", dev, got[dev], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("InfluxDB holds points of %d devices, want %d", len(got), len(want))
	}
	t.Logf("InfluxDB holds %d points of %d devices; %d were sent", stored, len(got), sent)
}

// TestFleetSmall is the fleet benchmark at a size the normal suite can
// afford: 200 devices, a few seconds. The figures are logged, not judged.
func TestFleetSmall(t *testing.T) {
	x := testsvc.InfluxDB(t)
	fig := runFleet(t, x, fleetParams{devices: 200, producers: 2, warmup: 500 * time.Millisecond,
		sustain: 2 * time.Second, backlog: time.Second, lag: 5000, patience: 60 * time.Second})
	logFleet(t, 200, time.Second, fig, false, 0)
}

// TestFleetFigures is the benchmark of issue 6: telemetry from 20,000
// simulated devices into a local InfluxDB 1.8 — sustained points/s, then
// how long a 10-minute backlog at that rate takes to drain. It runs only
// with GRIDWATCH_BENCH=1 (at the default size it takes about 15 minutes
// and 4 GB of disk):
//
//	GRIDWATCH_BENCH=1 go test -run TestFleetFigures -v -timeout 60m ./gateway/telemetry
//
// GRIDWATCH_BENCH_DEVICES, GRIDWATCH_BENCH_SUSTAIN and
// GRIDWATCH_BENCH_BACKLOG (a duration, 10m by default) scale it; with a
// shorter backlog the 10-minute figure is extrapolated, and the log says
// so. GRIDWATCH_BENCH_MAXPPS replaces the writer's pacing cap
// (DefaultMaxPointsPerSecond), to see what InfluxDB takes without it.
func TestFleetFigures(t *testing.T) {
	if os.Getenv("GRIDWATCH_BENCH") != "1" {
		t.Skip("set GRIDWATCH_BENCH=1 to measure (20,000 devices, a 10-minute backlog)")
	}
	devices := envInt(t, "GRIDWATCH_BENCH_DEVICES", 20000)
	sustain := envDuration(t, "GRIDWATCH_BENCH_SUSTAIN", time.Minute)
	backlog := envDuration(t, "GRIDWATCH_BENCH_BACKLOG", 10*time.Minute)
	maxPPS := 0
	if os.Getenv("GRIDWATCH_BENCH_MAXPPS") != "" {
		maxPPS = envInt(t, "GRIDWATCH_BENCH_MAXPPS", 0)
	}
	x := testsvc.InfluxDB(t)
	fig := runFleet(t, x, fleetParams{devices: devices, producers: 2, warmup: 10 * time.Second,
		sustain: sustain, backlog: backlog, lag: 5000, patience: time.Hour, maxPPS: maxPPS})
	logFleet(t, devices, backlog, fig, backlog != 10*time.Minute, maxPPS)
}

// logFleet reports a run's figures, extrapolating the drain of a
// 10-minute backlog when the backlog was shorter.
func logFleet(t *testing.T, devices int, backlog time.Duration, fig fleetFigures, extrapolate bool, maxPPS int) {
	t.Helper()
	if maxPPS == 0 {
		maxPPS = DefaultMaxPointsPerSecond
	}
	t.Logf("live: %d devices, %.0f points/s sustained into InfluxDB (%d points; batch %d, flush %v, pacing cap %d points/s)",
		devices, fig.sustainedPPS, fig.livePoints, DefaultBatchSize, DefaultFlushInterval, maxPPS)
	t.Logf("outage: backlog of %v at that rate = %d points, %.0f MiB more on disk, spooled in %v",
		backlog, fig.backlogPoints, fig.spooledBytes/(1<<20), fig.buildTook.Round(time.Millisecond))
	drainPPS := float64(fig.backlogPoints) / (fig.drainTook - fig.firstWrite).Seconds()
	t.Logf("drain: InfluxDB back → first batch %v (writer backoff), → all written %v; %.0f points/s while draining",
		fig.firstWrite.Round(time.Millisecond), fig.drainTook.Round(time.Millisecond), drainPPS)
	if extrapolate {
		scale := (10 * time.Minute).Seconds() / backlog.Seconds()
		t.Logf("extrapolated (×%.1f, linear): a 10-minute backlog (%.0f points) would drain in about %v after the first batch",
			scale, fig.sustainedPPS*600, time.Duration(float64(fig.drainTook-fig.firstWrite)*scale).Round(time.Second))
	}
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		t.Fatalf("%s=%q: want a positive whole number", name, s)
	}
	return v
}

func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		t.Fatalf("%s=%q: want a positive duration like 2m", name, s)
	}
	return v
}

// metricLabelled returns the value of gauge name whose label is value.
func (h *harness) metricLabelled(t testing.TB, name, label, value string) float64 {
	t.Helper()
	fams, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("metric %s{%s=%q} not registered", name, label, value)
	return 0
}
