package journal

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// mustOpen opens a journal in dir and closes it when the test ends.
func mustOpen(t *testing.T, dir string, opts Options) *Journal {
	t.Helper()
	j, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// sample is the i-th test event, as a device would send it (no ID).
func sample(i int) event.Event {
	return event.Event{
		Device:   fmt.Sprintf("lb-%04d", i%7),
		Type:     event.ButtonPressed,
		TS:       1_700_000_000_000 + int64(i),
		Seq:      int64(i),
		Data:     map[string]any{"n": float64(i), "note": "<&>"},
		Received: 1_700_000_000_500 + int64(i),
		Source:   event.SourceMQTT,
	}
}

// appendN appends n sample events from start and returns them with IDs.
func appendN(t *testing.T, j *Journal, start, n int) []event.Event {
	t.Helper()
	var out []event.Event
	for i := start; i < start+n; i++ {
		ev := sample(i)
		if err := j.Append(t.Context(), &ev); err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		out = append(out, ev)
	}
	return out
}

// replayAll returns every event Replay gives after the ID after.
func replayAll(t *testing.T, j *Journal, after uint64) []event.Event {
	t.Helper()
	var out []event.Event
	if err := j.Replay(after, func(ev event.Event) error {
		out = append(out, ev)
		return nil
	}); err != nil {
		t.Fatalf("Replay(%d): %v", after, err)
	}
	return out
}

// ids returns the IDs of evs.
func ids(evs []event.Event) []uint64 {
	var out []uint64
	for _, ev := range evs {
		out = append(out, ev.ID)
	}
	return out
}

// idRange returns the IDs from..to inclusive.
func idRange(from, to uint64) []uint64 {
	var out []uint64
	for id := from; id <= to; id++ {
		out = append(out, id)
	}
	return out
}

// segmentFiles returns the names of the segment files in dir, sorted.
func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	slices.Sort(m)
	return m
}

// dirBytes is the total size of the segment files in dir.
func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	for _, name := range segmentFiles(t, dir) {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		n += info.Size()
	}
	return n
}

// metric reads a counter or gauge value, or a histogram's sample count,
// from a registry.
func metric(t testing.TB, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

// eventually polls cond until it holds, failing after a generous deadline
// (for waiting on other goroutines to reach a state, not for timing).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// receive waits for the next value on ch, failing after a generous deadline
// (a hung appender is a bug, not a slow machine).
func receive[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatal("timed out waiting for an appender to return")
		panic("unreachable")
	}
}

// queued is the number of events waiting for the next write.
func (j *Journal) queued() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.cur.events)
}
