package telemetry

import (
	"context"
	"testing"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api/write"
)

// BenchmarkWrite is the cost ingest pays per telemetry message while the
// writer keeps up (the sink accepts everything at once).
func BenchmarkWrite(b *testing.B) {
	h := newBenchHarness(b, Config{Queue: 100000, BatchSize: 1000, FlushInterval: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = h.w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	dev, grid := lightbox()
	t := tel(1, 12.4)
	b.ReportAllocs()
	for b.Loop() {
		h.w.Write(t, dev, grid)
	}
}

// BenchmarkWriteQueueFull is the cost of a dropped sample: InfluxDB is
// down and the queue is full.
func BenchmarkWriteQueueFull(b *testing.B) {
	h := newBenchHarness(b, Config{Queue: 1})
	dev, grid := lightbox()
	t := tel(1, 12.4)
	h.w.Write(t, dev, grid) // fills the queue; Run is never started
	b.ReportAllocs()
	for b.Loop() {
		h.w.Write(t, dev, grid)
	}
}

func newBenchHarness(b *testing.B, cfg Config) *harness {
	b.Helper()
	cfg.URL, cfg.Bucket, cfg.Site = "http://127.0.0.1:1", "db/rp", "lianhua"
	w, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	w.open = func(Config) (sink, func()) { return discardSink{}, func() {} }
	return &harness{w: w}
}

// discardSink accepts every batch and keeps nothing.
type discardSink struct{}

func (discardSink) WritePoint(context.Context, ...*write.Point) error { return nil }

func (discardSink) WriteRecord(context.Context, ...string) error { return nil }
