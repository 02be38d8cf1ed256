package telemetry

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api/write"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/ratelog"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/gateway/spool"
)

// writeTimeout bounds one write request.
const writeTimeout = 10 * time.Second

// logEvery is the least time between two log lines of one kind of error.
const logEvery = 10 * time.Second

// sink is where batches go: influxdb-client-go's blocking write API, or a
// fake in unit tests.
type sink interface {
	WritePoint(ctx context.Context, points ...*write.Point) error
	WriteRecord(ctx context.Context, lines ...string) error
}

// openInflux returns a blocking writer to InfluxDB and the client's close.
func openInflux(cfg Config) (sink, func()) {
	opts := influxdb2.DefaultOptions().
		SetPrecision(time.Millisecond).
		SetHTTPRequestTimeout(uint(writeTimeout / time.Second))
	c := influxdb2.NewClientWithOptions(cfg.URL, cfg.Token, opts)
	return c.WriteAPIBlocking(cfg.Org, cfg.Bucket), c.Close
}

// Writer queues telemetry and writes it to InfluxDB in batches. Build it
// with New, start it with Run; Write may be called from any goroutine.
type Writer struct {
	cfg   Config
	warn  *ratelog.Limiter
	m     metrics
	queue chan sample
	sp    *spool.Spool // telemetry; nil: memory only
	evsp  *spool.Spool // events and alarm transitions; nil: memory only
	open  func(Config) (sink, func())
	now   func() time.Time

	held    atomic.Int64 // points taken off the queue and not yet settled
	started atomic.Bool

	mu     sync.RWMutex // Write holds it shared while queuing; Run takes it to close
	closed bool
}

// New checks cfg, fills in defaults and registers the metrics. It starts
// nothing. With cfg.SpoolDir it opens the spools there, telemetry's and
// (in SpoolDir/events) that of events and alarms, recovering what a
// previous writer left; Run closes them, so a writer so made must be run.
func New(cfg Config) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	w := &Writer{
		cfg:  cfg,
		warn: ratelog.New(cfg.Logger, logEvery, nil),
		open: openInflux,
		now:  time.Now,
	}
	depth := func() float64 { return float64(len(w.queue)) + float64(w.held.Load()) }
	if cfg.SpoolDir == "" {
		w.queue = make(chan sample, cfg.Queue)
	} else {
		sp, evsp, err := openSpools(cfg, func(n int) { w.m.dropped.Add(float64(n)) })
		if err != nil {
			return nil, err
		}
		w.sp, w.evsp = sp, evsp
		depth = func() float64 { return float64(sp.Depth() + evsp.Depth()) }
	}
	m, err := newMetrics(cfg.Registerer, depth)
	if err != nil {
		if w.sp != nil {
			w.sp.Close()
			w.evsp.Close()
		}
		return nil, err
	}
	w.m = m
	return w, nil
}

// Write queues one telemetry sample of dev, which sits in grid, and
// returns at once. When the queue is full, or Run has ended, the sample is
// dropped and counted. dev and grid may be nil (the device's tags are then
// left out); grid, when given, wins over dev.Grid.
//
// Write keeps t.Fields: the caller must not change the map afterwards.
func (w *Writer) Write(t event.Telemetry, dev *registry.Device, grid *registry.Grid) {
	s := sample{tel: t, device: t.Device}
	if dev != nil {
		s.device, s.grid, s.kind = dev.ID, dev.Grid, string(dev.Kind)
	}
	if grid != nil {
		s.grid = grid.ID
	}
	s.l3, s.l4 = w.levels(s.grid)
	if w.sp != nil {
		w.spool(s)
		return
	}
	w.mu.RLock()
	if !w.closed {
		select {
		case w.queue <- s:
			w.mu.RUnlock()
			return
		default:
		}
	}
	closed := w.closed
	w.mu.RUnlock()
	w.m.dropped.Inc()
	if closed {
		w.warn.Warn("closed", "telemetry writer stopped, sample dropped", "kind", "closed", "device", s.device)
		return
	}
	w.warn.Warn("queue_full", "telemetry queue full, sample dropped", "kind", "queue_full", "device", s.device, "queue", cap(w.queue))
}

// Run writes queued telemetry until ctx ends, then spends at most
// CloseTimeout writing what is left, counts the rest as dropped, closes
// the client and returns nil. With a spool, Run sends from the spool
// instead and leaves what is unsent there, closing the spool. It may be
// called once.
func (w *Writer) Run(ctx context.Context) error {
	if !w.started.CompareAndSwap(false, true) {
		return errors.New("telemetry: Run called twice")
	}
	if w.sp != nil {
		return w.runSpooled(ctx)
	}
	snk, closeSink := w.open(w.cfg)
	defer closeSink()

	tick := time.NewTicker(w.cfg.FlushInterval)
	defer tick.Stop()
	batch := make([]*write.Point, 0, w.cfg.BatchSize)
	for {
		select {
		case <-ctx.Done():
			w.shutdown(snk, batch)
			return nil
		case s := <-w.queue:
			batch = w.add(batch, s)
			if uint(len(batch)) < w.cfg.BatchSize {
				continue
			}
		case <-tick.C:
			if len(batch) == 0 {
				continue
			}
		}
		if !w.flush(ctx, snk, batch) { // ctx ended while retrying
			w.shutdown(snk, batch)
			return nil
		}
		batch = batch[:0]
	}
}

// add appends the sample's point to batch, or counts a sample with nothing
// to store as failed.
func (w *Writer) add(batch []*write.Point, s sample) []*write.Point {
	if s.pt != nil {
		w.held.Add(1)
		return append(batch, s.pt)
	}
	p, ok := point(w.cfg.Site, s, w.now())
	if !ok {
		w.m.failed.Inc()
		w.warn.Warn("no_fields", "telemetry sample has no field InfluxDB can store, dropped", "kind", "no_fields", "device", s.device)
		return batch
	}
	w.held.Add(1)
	return append(batch, p)
}

// flush writes batch, retrying as classify says. It returns true once the
// batch is settled (written or failed, and counted), false if ctx ended
// first: the batch is then still the caller's.
func (w *Writer) flush(ctx context.Context, snk sink, batch []*write.Point) bool {
	return w.send(ctx, len(batch), false, func(ctx context.Context) error { return snk.WritePoint(ctx, batch...) })
}

// send makes one write of n points with write, retrying as classify says.
// It returns true once the points are settled (written or failed, and
// counted), false if ctx ended first: they are then still the caller's.
//
// Durable points (from the spool) are held through every error but a
// rejection of the points themselves (see durableRetry).
func (w *Writer) send(ctx context.Context, n int, durable bool, write func(context.Context) error) bool {
	for attempt := 1; ; attempt++ {
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		err := write(wctx)
		cancel()
		if err == nil {
			w.settle(n, 0)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		f := classify(err)
		if durable {
			f.retry = durableRetry(f)
		}
		if f.retry == retryNever || (f.retry == retryLimited && attempt >= maxAttempts) {
			bad := refused(err, n)
			w.settle(n-bad, bad)
			w.warn.Warn("discard/"+f.kind, "telemetry write failed, points discarded",
				"kind", f.kind, "points", bad, "written", n-bad, "attempts", attempt, "err", err)
			return true
		}
		wait := backoff(attempt, f.after)
		w.warn.Warn("retry/"+f.kind, "telemetry write failed, will retry",
			"kind", f.kind, "points", n, "attempt", attempt, "retry_in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}

// settle counts a batch's outcome and releases it from the queue depth.
func (w *Writer) settle(written, failed int) {
	w.m.written.Add(float64(written))
	w.m.failed.Add(float64(failed))
	w.held.Add(-int64(written + failed))
}

// shutdown stops Write from queuing, then writes the held batch and
// everything queued within CloseTimeout; what is left is counted dropped.
func (w *Writer) shutdown(snk sink, batch []*write.Point) {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.CloseTimeout)
	defer cancel()
	for {
		for uint(len(batch)) < w.cfg.BatchSize {
			s, ok := w.dequeue()
			if !ok {
				break
			}
			batch = w.add(batch, s)
		}
		if len(batch) == 0 {
			return
		}
		if !w.flush(ctx, snk, batch) {
			break
		}
		batch = batch[:0]
	}
	lost := len(batch)
	for _, ok := w.dequeue(); ok; _, ok = w.dequeue() {
		lost++
	}
	w.held.Add(-int64(len(batch)))
	w.m.dropped.Add(float64(lost))
	w.cfg.Logger.Warn("telemetry writer stopped before writing everything; rest dropped",
		"dropped", lost, "close_timeout", w.cfg.CloseTimeout)
}

// dequeue takes one sample off the queue without waiting.
func (w *Writer) dequeue() (sample, bool) {
	select {
	case s := <-w.queue:
		return s, true
	default:
		return sample{}, false
	}
}
