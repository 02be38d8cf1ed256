package spool

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/internal/testlog"
)

// testSpool is a spool under test with its own registry and log.
type testSpool struct {
	*Spool
	dir string
	reg *prometheus.Registry
	log *testlog.Buffer
}

// open opens (or reopens) the spool in dir.
func open(t testing.TB, dir string, opts Options) *testSpool {
	t.Helper()
	x := &testSpool{dir: dir, reg: prometheus.NewRegistry(), log: &testlog.Buffer{}}
	opts.Registerer = x.reg
	opts.Logger = slog.New(slog.NewTextHandler(x.log, nil))
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	x.Spool = s
	return x
}

// crash ends the spool as a killed process would: the files are closed,
// nothing buffered is written, the cursor is not touched.
func (x *testSpool) crash() {
	x.io.Lock()
	defer x.io.Unlock()
	x.ioClosed = true
	x.closeFiles()
}

// rec is the test record number i.
func rec(i int) []byte {
	return fmt.Appendf(nil, "device_telemetry,device=lb-%04d seq=%d %d", i%100, i, 1_800_000_000_000+i)
}

// appendN appends records from..to-1 and fails the test on an error.
func (x *testSpool) appendN(t testing.TB, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := x.Append(rec(i)); err != nil {
			t.Fatalf("Append(%d): %v", i, err)
		}
	}
}

// drain reads and acknowledges every waiting record, max at a time, and
// returns them as strings.
func (x *testSpool) drain(t testing.TB, max int) []string {
	t.Helper()
	var out []string
	for {
		b, err := x.Next(max)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if b.Len() == 0 {
			return out
		}
		if b.Len() > max {
			t.Fatalf("Next(%d) gave %d records", max, b.Len())
		}
		for _, r := range b.Records {
			out = append(out, string(r))
		}
		if err := x.Ack(b); err != nil {
			t.Fatalf("Ack: %v", err)
		}
	}
}

// want returns records from..to-1 as strings.
func want(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, string(rec(i)))
	}
	return out
}

// metric returns the value of the named counter or gauge, with
// reason=label for gridwatch_spool_dropped_total.
func (x *testSpool) metric(t testing.TB, name, reason string) float64 {
	t.Helper()
	fams, err := x.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			ok := reason == ""
			for _, l := range m.GetLabel() {
				ok = ok || (l.GetName() == "reason" && l.GetValue() == reason)
			}
			if !ok {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s{reason=%q} not found", name, reason)
	return 0
}

// segFiles returns the segment files in dir.
func segFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+segExt))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// lastSeg returns the path of the newest segment file in dir.
func lastSeg(t testing.TB, dir string) string {
	t.Helper()
	m := segFiles(t, dir)
	if len(m) == 0 {
		t.Fatal("no segment files")
	}
	return m[len(m)-1]
}

// logLines returns the log lines containing every one of words.
func (x *testSpool) logLines(words ...string) []string {
	return x.log.Lines(words...)
}

// fileSize returns the size of path.
func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// contextWithCancel is a context cancelled when the test ends, if not
// before.
func contextWithCancel(t testing.TB) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx, cancel
}
