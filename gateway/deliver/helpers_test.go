package deliver

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// errFlaky is a transient failure of a fake channel.
var errFlaky = errors.New("flaky")

// fakeChannel answers Send from a script of results (nil once it runs
// out) and records every call with its time.
type fakeChannel struct {
	name string
	// block makes Send wait for its context to end.
	block bool

	mu     sync.Mutex
	script []error
	calls  []call
}

type call struct {
	at    time.Time
	staff string
	note  event.Notification
}

func (f *fakeChannel) Name() string { return f.name }

func (f *fakeChannel) Send(ctx context.Context, staffID string, n event.Notification) error {
	f.mu.Lock()
	f.calls = append(f.calls, call{at: time.Now(), staff: staffID, note: n})
	var err error
	if len(f.script) > 0 {
		err, f.script = f.script[0], f.script[1:]
	}
	f.mu.Unlock()
	if f.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func (f *fakeChannel) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// note is a red notification for tests.
func note(id string) event.Notification {
	return event.Notification{AlarmID: id, Rule: "panic", Severity: "red", Title: "Panic button",
		Device: "lb-0001", DeviceName: "莲花路12号", Grid: "lh-g4-07", Step: 0, RaisedMS: 1000, EventMS: 990, DeadlineMS: 61000}
}

// newMetrics makes metrics on a fresh registry.
func newMetrics(t *testing.T) *Metrics {
	t.Helper()
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// count reads gridwatch_deliveries_total{channel,outcome}.
func count(m *Metrics, channel, outcome string) float64 {
	return testutil.ToFloat64(m.deliveries.WithLabelValues(channel, outcome))
}

// openOutbox opens an outbox on dir/outbox.db and closes it at the end.
func openOutbox(t *testing.T, dir string, cfg Config) *Outbox {
	t.Helper()
	cfg.Path = filepath.Join(dir, "outbox.db")
	o, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.Close() })
	return o
}

// running runs o until the test ends and waits for Run to return.
func running(t *testing.T, o *Outbox) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	return stop
}

// eventually polls cond every few milliseconds for up to 10 s (real time).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
