package telemetry

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/influxdata/influxdb-client-go/v2/api/write"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/testlog"
)

// lightbox is the test fixture: one lightbox in a level-4 grid.
func lightbox() (*registry.Device, *registry.Grid) {
	return &registry.Device{ID: "lb-0001", Kind: registry.Lightbox, Grid: "lh-g4-07"},
		&registry.Grid{ID: "lh-g4-07", Name: "莲花四级网格7", Level: 4, Parent: "lianhua"}
}

// tel is a telemetry sample of lb-0001 at ms.
func tel(ms int64, volts float64) event.Telemetry {
	return event.Telemetry{Device: "lb-0001", TS: ms, Fields: map[string]any{"battery_v": volts, "mains": true}}
}

// harness is a Writer with its own registry and log.
type harness struct {
	w   *Writer
	reg *prometheus.Registry
	log *testlog.Buffer
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{reg: prometheus.NewRegistry(), log: &testlog.Buffer{}}
	if cfg.URL == "" {
		cfg.URL = "http://127.0.0.1:1"
	}
	if cfg.Bucket == "" {
		cfg.Bucket = "db/rp"
	}
	if cfg.Site == "" {
		cfg.Site = "lianhua"
	}
	cfg.Registerer = h.reg
	cfg.Logger = slog.New(slog.NewTextHandler(h.log, nil))
	w, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.w = w
	return h
}

// points returns gridwatch_telemetry_points_total{outcome}.
func (h *harness) points(t testing.TB, outcome string) int {
	t.Helper()
	return int(h.metric(t, "gridwatch_telemetry_points_total", outcome))
}

// depth returns gridwatch_telemetry_queue_depth.
func (h *harness) depth(t testing.TB) int {
	t.Helper()
	return int(h.metric(t, "gridwatch_telemetry_queue_depth", ""))
}

func (h *harness) metric(t testing.TB, name, outcome string) float64 {
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
			if outcome == "" {
				return m.GetGauge().GetValue()
			}
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("metric %s{outcome=%q} not registered", name, outcome)
	return 0
}

// run starts Run in a goroutine and returns a stop that cancels it and
// waits for it to return.
func (h *harness) run(t *testing.T) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.w.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

// fakeSink records batches; fail decides each call's error.
type fakeSink struct {
	mu      sync.Mutex
	batches [][]*write.Point
	records [][]string
	calls   int
	fail    func(call int, ctx context.Context) error
}

func (f *fakeSink) WritePoint(ctx context.Context, points ...*write.Point) error {
	f.mu.Lock()
	f.calls++
	call := f.calls
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		if err := fail(call, ctx); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.batches = append(f.batches, append([]*write.Point(nil), points...))
	f.mu.Unlock()
	return nil
}

func (f *fakeSink) WriteRecord(ctx context.Context, lines ...string) error {
	f.mu.Lock()
	f.calls++
	call := f.calls
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		if err := fail(call, ctx); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.records = append(f.records, append([]string(nil), lines...))
	f.mu.Unlock()
	return nil
}

// lines returns every line written with WriteRecord, in order.
func (f *fakeSink) lines() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, b := range f.records {
		out = append(out, b...)
	}
	return out
}

// sizes returns the sizes of the batches written so far.
func (f *fakeSink) sizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]int, 0, len(f.batches)+len(f.records))
	for _, b := range f.batches {
		out = append(out, len(b))
	}
	for _, b := range f.records {
		out = append(out, len(b))
	}
	return out
}

func (f *fakeSink) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// useSink makes the harness's writer write to f.
func (h *harness) useSink(f *fakeSink) {
	h.w.open = func(Config) (sink, func()) { return f, func() {} }
}
