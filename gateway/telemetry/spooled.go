package telemetry

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api/write"

	lp "github.com/influxdata/line-protocol"

	"github.com/gridwatch/gridwatch/gateway/spool"
)

// Names of the two spools, which label their metrics.
const (
	spoolName      = "telemetry"
	eventSpoolName = "events"
)

// eventSpoolDir is the events spool's directory under Config.SpoolDir.
const eventSpoolDir = "events"

// unbounded is the events spool's MaxBytes: it is never trimmed for room
// (events and alarm transitions are few; they are shed only when the disk
// is nearly full, below half of SpoolMinFreeBytes, after telemetry).
const unbounded = 1 << 62

// openSpools opens the telemetry spool in cfg.SpoolDir and the events
// spool below it; points they lose for room or to damage are passed to
// dropped.
func openSpools(cfg Config, dropped func(n int)) (tel, ev *spool.Spool, err error) {
	opts := spool.Options{
		Name:         spoolName,
		MaxBytes:     cfg.SpoolBytes,
		Buffer:       cfg.Queue,
		MinFreeBytes: cfg.SpoolMinFreeBytes,
		Logger:       cfg.Logger,
		Registerer:   cfg.Registerer,
		OnDrop:       func(_ string, n int) { dropped(n) },
	}
	if tel, err = spool.Open(cfg.SpoolDir, opts); err != nil {
		return nil, nil, err
	}
	// Telemetry is shed first: events keep being spooled down to half the
	// floor (the journal holds them anyway).
	opts.Name, opts.MaxBytes, opts.MinFreeBytes = eventSpoolName, unbounded, cfg.SpoolMinFreeBytes/2
	if ev, err = spool.Open(filepath.Join(cfg.SpoolDir, eventSpoolDir), opts); err != nil {
		tel.Close()
		return nil, nil, err
	}
	return tel, ev, nil
}

// spool appends the sample's point, as line protocol, to the spool.
func (w *Writer) spool(s sample) {
	line, ok := w.encode(s)
	if !ok {
		return
	}
	err := w.sp.Append(line)
	if err == nil {
		return
	}
	w.m.dropped.Inc()
	switch {
	case errors.Is(err, spool.ErrClosed):
		w.warn.Warn("closed", "telemetry writer stopped, sample dropped", "kind", "closed", "device", s.device)
	case errors.Is(err, spool.ErrBufferFull):
		w.warn.Warn("queue_full", "telemetry spool buffer full, sample dropped", "kind", "queue_full", "device", s.device, "queue", w.cfg.Queue)
	default:
		w.warn.Warn("spool", "telemetry sample not spooled, dropped", "kind", "spool", "device", s.device, "err", err)
	}
}

// encode returns the sample's point in line protocol at millisecond
// precision, without the final newline. A sample with nothing InfluxDB can
// store is counted failed.
func (w *Writer) encode(s sample) ([]byte, bool) {
	p, ok := point(w.cfg.Site, s, w.now())
	var line []byte
	if ok {
		var err error
		line, err = encodePoint(p)
		ok = err == nil
	}
	if !ok {
		w.m.failed.Inc()
		w.warn.Warn("no_fields", "telemetry sample has no field InfluxDB can store, dropped", "kind", "no_fields", "device", s.device)
		return nil, false
	}
	return line, true
}

// encodePoint returns p in line protocol at millisecond precision, without
// the final newline.
func encodePoint(p *write.Point) ([]byte, error) {
	var buf bytes.Buffer
	e := lp.NewEncoder(&buf)
	e.SetFieldTypeSupport(lp.UintSupport)
	e.FailOnFieldErr(true)
	e.SetPrecision(time.Millisecond)
	if _, err := e.Encode(p); err != nil {
		return nil, err
	}
	if buf.Len() == 0 {
		return nil, errors.New("no field InfluxDB can store")
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// runSpooled sends spooled points until ctx ends, then closes the spools:
// what is not yet written stays there for the next writer.
func (w *Writer) runSpooled(ctx context.Context) error {
	snk, closeSink := w.open(w.cfg)
	defer closeSink()
	syncCtx, stopSync := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, sp := range []*spool.Spool{w.sp, w.evsp} {
		wg.Go(func() { _ = sp.Run(syncCtx) })
	}
	defer func() {
		stopSync()
		wg.Wait()
		for _, sp := range []*spool.Spool{w.evsp, w.sp} {
			if err := sp.Close(); err != nil {
				w.cfg.Logger.Error("telemetry spool close failed", "err", err)
			}
		}
		if d := w.sp.Depth() + w.evsp.Depth(); d > 0 {
			w.cfg.Logger.Info("telemetry writer stopped; points wait in the spool for the next start", "points", d)
		}
	}()
	w.sendSpooled(ctx, snk)
	return nil
}

// next returns the next batch to send and the spool it is from: events and
// alarm transitions first, so that a telemetry backlog does not hold them
// up. An empty batch means both spools are empty.
func (w *Writer) next() (*spool.Spool, spool.Batch, error) {
	var b spool.Batch
	var err error
	for _, sp := range []*spool.Spool{w.evsp, w.sp} {
		if b, err = sp.Next(int(w.cfg.BatchSize)); err != nil || b.Len() > 0 {
			return sp, b, err
		}
	}
	return nil, b, nil
}

// sendSpooled takes batches from the spools in order and writes them,
// acknowledging each once it is settled, no faster than
// MaxPointsPerSecond, and waiting FlushInterval after a batch that was not
// full. It returns when ctx ends.
func (w *Writer) sendSpooled(ctx context.Context, snk sink) {
	for {
		sp, b, err := w.next()
		if err != nil {
			w.warn.Error("spool_read", "telemetry spool read failed", "kind", "spool_read", "err", err)
			if !sleep(ctx, w.cfg.FlushInterval) {
				return
			}
			continue
		}
		if b.Len() == 0 {
			select {
			case <-ctx.Done():
				return
			case <-w.sp.Notify():
			case <-w.evsp.Notify():
			}
			continue
		}
		start := time.Now()
		lines := make([]string, b.Len())
		for i, r := range b.Records {
			lines[i] = string(r)
		}
		w.held.Add(int64(b.Len())) // send settles them
		if !w.send(ctx, b.Len(), true, func(ctx context.Context) error { return snk.WriteRecord(ctx, lines...) }) {
			w.held.Add(-int64(b.Len()))
			return // not settled: they stay in the spool
		}
		if err := sp.Ack(b); err != nil {
			w.warn.Error("spool_ack", "telemetry spool cursor not saved; points may be sent again", "kind", "spool_ack", "err", err)
		}
		wait := time.Duration(float64(b.Len()) / float64(w.cfg.MaxPointsPerSecond) * float64(time.Second))
		if uint(b.Len()) < w.cfg.BatchSize {
			wait = max(wait, w.cfg.FlushInterval)
		}
		if !sleep(ctx, wait-time.Since(start)) {
			return
		}
	}
}

// sleep waits d, or less if ctx ends first; it reports whether ctx is
// still live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// durableRetry is how a spooled batch is retried: a server error,
// throttling, a timeout or a refused login or missing database is waited
// out for as long as it lasts (the points are on disk, and an operator can
// fix the server or the configuration); only points the server rejects
// (bad line protocol, type conflict, too large) are given up.
func durableRetry(f failure) retry {
	switch f.kind {
	case "rejected", "too_large", "encode":
		return retryNever
	}
	return retryAlways
}
