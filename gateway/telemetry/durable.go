package telemetry

import (
	"errors"
	"fmt"

	"github.com/influxdata/influxdb-client-go/v2/api/write"

	"github.com/gridwatch/gridwatch/gateway/spool"
)

// ErrStopped is returned by WriteEvent and WriteAlarm once Run has ended.
var ErrStopped = errors.New("telemetry: writer stopped")

// keep hands one event or alarm point to the writer. With a spool it goes
// to the events spool, which is never trimmed for room: when its memory
// buffer is full, keep writes and fsyncs the buffer itself and tries once
// more, so the caller waits for one fsync rather than lose the point.
// Without a spool it joins the in-memory queue like telemetry (dropped and
// counted when that is full). what names the point in errors.
func (w *Writer) keep(p *write.Point, what string) error {
	if w.evsp == nil {
		return w.enqueue(p, what)
	}
	line, err := encodePoint(p)
	if err != nil {
		w.m.failed.Inc()
		return fmt.Errorf("telemetry: %s: %w", what, err)
	}
	err = w.evsp.Append(line)
	if errors.Is(err, spool.ErrBufferFull) {
		if ferr := w.evsp.Flush(); ferr != nil && !errors.Is(ferr, spool.ErrClosed) {
			w.warn.Error("event_spool", "events spool write failed", "kind", "event_spool", "err", ferr)
		}
		err = w.evsp.Append(line)
	}
	if err == nil {
		return nil
	}
	w.m.dropped.Inc()
	if errors.Is(err, spool.ErrClosed) {
		return fmt.Errorf("telemetry: %s not spooled: %w", what, ErrStopped)
	}
	return fmt.Errorf("telemetry: %s not spooled: %w", what, err)
}

// enqueue puts a ready point on the in-memory queue without waiting.
func (w *Writer) enqueue(p *write.Point, what string) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		w.m.dropped.Inc()
		return fmt.Errorf("telemetry: %s dropped: %w", what, ErrStopped)
	}
	select {
	case w.queue <- sample{pt: p}:
		return nil
	default:
		w.m.dropped.Inc()
		return fmt.Errorf("telemetry: %s dropped: queue of %d full", what, cap(w.queue))
	}
}
