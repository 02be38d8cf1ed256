package telemetry

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	http2 "github.com/influxdata/influxdb-client-go/v2/api/http"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// connRefused is the error the client gives when nothing listens.
func connRefused() error {
	return http2.NewError(&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")})
}

func statusError(code int, msg string) error {
	return &http2.Error{StatusCode: code, Code: "invalid", Message: msg}
}

func TestBatchesBySizeAndByTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{BatchSize: 3, FlushInterval: time.Second})
		f := &fakeSink{}
		h.useSink(f)
		dev, grid := lightbox()
		stop := h.run(t)

		for i := range 7 {
			h.w.Write(tel(int64(1000+i), 12), dev, grid)
		}
		synctest.Wait()
		if got := f.sizes(); !slices.Equal(got, []int{3, 3}) {
			t.Fatalf("after 7 writes with batch size 3: batches %v, want [3 3]", got)
		}
		if d := h.depth(t); d != 1 {
			t.Errorf("queue depth = %d, want 1 (held for the next flush)", d)
		}

		time.Sleep(time.Second) // the flush interval
		synctest.Wait()
		if got := f.sizes(); !slices.Equal(got, []int{3, 3, 1}) {
			t.Fatalf("after the flush interval: batches %v, want [3 3 1]", got)
		}
		stop()
		if w, d, fl := h.points(t, "written"), h.points(t, "dropped"), h.points(t, "failed"); w != 7 || d != 0 || fl != 0 {
			t.Errorf("written/dropped/failed = %d/%d/%d, want 7/0/0", w, d, fl)
		}
		if d := h.depth(t); d != 0 {
			t.Errorf("queue depth after stop = %d", d)
		}
	})
}

func TestUnreachableHoldsBatchAndQueueDrops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{Queue: 5, BatchSize: 2, FlushInterval: time.Hour})
		var up atomic.Bool
		f := &fakeSink{fail: func(int, context.Context) error {
			if !up.Load() {
				return connRefused()
			}
			return nil
		}}
		h.useSink(f)
		dev, grid := lightbox()
		stop := h.run(t)

		start := time.Now()
		for i := range 20 {
			h.w.Write(tel(int64(i), 12), dev, grid) // must not block
			synctest.Wait()
		}
		if time.Since(start) != 0 {
			t.Fatalf("Write took %v of (fake) time; it must never wait", time.Since(start))
		}
		// The writer holds one batch of 2 and retries; 5 wait in the queue.
		if d := h.points(t, "dropped"); d != 20-2-5 {
			t.Fatalf("dropped = %d, want %d", d, 20-2-5)
		}
		if d := h.depth(t); d != 7 {
			t.Fatalf("queue depth = %d, want 7", d)
		}
		if n := len(h.log.Lines("kind=queue_full")); n != 1 {
			t.Errorf("queue-full log lines = %d, want 1 (rate-limited):\n%s", n, h.log)
		}

		// Backoff doubles: 0.5 s, 1 s, 2 s, 4 s ... and never gives up.
		time.Sleep(time.Minute)
		synctest.Wait()
		want := 1
		for at := backoff(1, 0); at <= time.Minute; at += backoff(want, 0) {
			want++
		}
		if calls := f.callCount(); calls != want {
			t.Errorf("%d write attempts in a minute of outage, want %d", calls, want)
		}
		if n := len(h.log.Lines("will retry", "kind=unreachable")); n < 2 || n > 7 {
			t.Errorf("%d 'unreachable' log lines in a minute, want about one per 10 s:\n%s", n, h.log)
		}

		up.Store(true)
		time.Sleep(backoffMax)
		synctest.Wait()
		stop()
		if w, d := h.points(t, "written"), h.points(t, "dropped"); w != 7 || d != 13 {
			t.Fatalf("written/dropped = %d/%d, want 7/13", w, d)
		}
		if fl := h.points(t, "failed"); fl != 0 {
			t.Errorf("failed = %d, want 0", fl)
		}
	})
}

func TestFailedWrites(t *testing.T) {
	tests := []struct {
		name         string
		err          error
		wantAttempts int
		wantWritten  int
		wantFailed   int
		wantLog      string
	}{
		{"bad request", statusError(400, "unable to parse"), 1, 0, 4, "rejected"},
		{"partial write", statusError(400, `partial write: field type conflict: input field "mains" on measurement "device_telemetry" is type float, already exists as type boolean dropped=1`), 1, 3, 1, "rejected"},
		{"unauthorized", statusError(401, "authorization failed"), 1, 0, 4, "unauthorized"},
		{"no database", statusError(404, `database not found: "nope"`), 1, 0, 4, "not_found"},
		{"server error, retried then given up", statusError(503, "unavailable"), maxAttempts, 0, 4, "server_error"},
		{"throttled, retried then given up", statusError(429, "slow down"), maxAttempts, 0, 4, "throttled"},
		{"timeout, retried then given up", context.DeadlineExceeded, maxAttempts, 0, 4, "timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, Config{BatchSize: 4, FlushInterval: time.Hour})
				f := &fakeSink{fail: func(int, context.Context) error { return tc.err }}
				h.useSink(f)
				dev, grid := lightbox()
				stop := h.run(t)
				for i := range 4 {
					h.w.Write(tel(int64(i), 12), dev, grid)
				}
				time.Sleep(10 * time.Minute)
				synctest.Wait()
				stop()
				if got := f.callCount(); got != tc.wantAttempts {
					t.Errorf("attempts = %d, want %d", got, tc.wantAttempts)
				}
				if w, fl := h.points(t, "written"), h.points(t, "failed"); w != tc.wantWritten || fl != tc.wantFailed {
					t.Errorf("written/failed = %d/%d, want %d/%d", w, fl, tc.wantWritten, tc.wantFailed)
				}
				if len(h.log.Lines("points discarded", "kind="+tc.wantLog)) != 1 {
					t.Errorf("want one 'points discarded' log line of kind %s:\n%s", tc.wantLog, h.log)
				}
			})
		})
	}
}

func TestShutdownIsBoundedWhenInfluxHangs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{BatchSize: 10, FlushInterval: time.Second, CloseTimeout: 3 * time.Second})
		f := &fakeSink{fail: func(_ int, ctx context.Context) error {
			<-ctx.Done() // a server that never answers
			return http2.NewError(ctx.Err())
		}}
		h.useSink(f)
		dev, grid := lightbox()
		stop := h.run(t)
		for i := range 25 {
			h.w.Write(tel(int64(i), 12), dev, grid)
		}
		synctest.Wait()

		start := time.Now()
		stop()
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("Run took %v to return, want at most CloseTimeout 3s", took)
		}
		w, d, fl := h.points(t, "written"), h.points(t, "dropped"), h.points(t, "failed")
		if w != 0 || w+d+fl != 25 {
			t.Errorf("written/dropped/failed = %d/%d/%d, want 0 written and all 25 accounted for", w, d, fl)
		}
		if d := h.depth(t); d != 0 {
			t.Errorf("queue depth after stop = %d, want 0", d)
		}
		if len(h.log.Lines("rest dropped")) != 1 {
			t.Errorf("want one line about points dropped at shutdown:\n%s", h.log)
		}
	})
}

func TestShutdownWritesWhatIsQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{BatchSize: 4, FlushInterval: time.Hour})
		f := &fakeSink{}
		h.useSink(f)
		dev, grid := lightbox()
		// Queued before Run starts: still written, on the way out.
		for i := range 10 {
			h.w.Write(tel(int64(i), 12), dev, grid)
		}
		stop := h.run(t)
		stop()
		if w := h.points(t, "written"); w != 10 {
			t.Fatalf("written = %d, want 10", w)
		}
		// After Run: dropped at once, never stranded in the queue.
		h.w.Write(tel(99, 12), dev, grid)
		if d := h.points(t, "dropped"); d != 1 {
			t.Fatalf("dropped after Run ended = %d, want 1", d)
		}
		if err := h.w.Run(context.Background()); err == nil {
			t.Fatal("second Run gave no error")
		}
	})
}

func TestSampleWithoutFieldsFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{FlushInterval: time.Second})
		f := &fakeSink{}
		h.useSink(f)
		stop := h.run(t)
		h.w.Write(event.Telemetry{Device: "lb-0001", TS: 1, Fields: map[string]any{"nested": map[string]any{"a": 1}}}, nil, nil)
		h.w.Write(event.Telemetry{Device: "lb-0001", TS: 2, Fields: map[string]any{"ok": 1.5}}, nil, nil)
		time.Sleep(time.Second)
		synctest.Wait()
		stop()
		if w, fl := h.points(t, "written"), h.points(t, "failed"); w != 1 || fl != 1 {
			t.Fatalf("written/failed = %d/%d, want 1/1", w, fl)
		}
		if len(h.log.Lines("no field")) != 1 {
			t.Errorf("want one log line about a sample without fields:\n%s", h.log)
		}
	})
}
