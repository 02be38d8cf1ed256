package telemetry

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// spooledLine is the line protocol the writer sends for tel(ms, volts) of the
// lightbox fixture.
func spooledLine(ms int64, volts float64) string {
	return fmt.Sprintf("device_telemetry,device=lb-0001,grid=lh-g4-07,kind=lightbox,site=lianhua battery_v=%v,mains=true %d", volts, ms)
}

func TestSpooledWritesInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		h := newHarness(t, Config{SpoolDir: dir, BatchSize: 3, FlushInterval: time.Second})
		f := &fakeSink{}
		h.useSink(f)
		dev, grid := lightbox()
		stop := h.run(t)
		var want []string
		for i := range 7 {
			h.w.Write(tel(int64(1000+i), 12.5), dev, grid)
			want = append(want, spooledLine(int64(1000+i), 12.5))
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if got := f.lines(); !slices.Equal(got, want) {
			t.Fatalf("lines sent:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if d := h.depth(t); d != 0 {
			t.Errorf("depth = %d after everything was written", d)
		}
		stop()
		if w, d, fl := h.points(t, "written"), h.points(t, "dropped"), h.points(t, "failed"); w != 7 || d != 0 || fl != 0 {
			t.Errorf("written/dropped/failed = %d/%d/%d, want 7/0/0", w, d, fl)
		}
		// Nothing is sent twice by the next writer on the directory.
		h2 := newHarness(t, Config{SpoolDir: dir})
		f2 := &fakeSink{}
		h2.useSink(f2)
		stop2 := h2.run(t)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		stop2()
		if n := len(f2.lines()); n != 0 {
			t.Errorf("the next writer sent %d acknowledged points again", n)
		}
	})
}

func TestSpooledOutageHoldsEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		h := newHarness(t, Config{SpoolDir: dir, BatchSize: 4, FlushInterval: time.Second})
		var up atomic.Bool
		var failWith atomic.Value
		failWith.Store(connRefused())
		f := &fakeSink{fail: func(int, context.Context) error {
			if !up.Load() {
				return failWith.Load().(error)
			}
			return nil
		}}
		h.useSink(f)
		dev, grid := lightbox()
		stop := h.run(t)
		for i := 1; i <= 50; i++ {
			h.w.Write(tel(int64(i), 12), dev, grid)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		// A refused login is held too: the points are on disk.
		failWith.Store(statusError(401, "authorization failed"))
		time.Sleep(time.Minute)
		synctest.Wait()
		if w, d, fl := h.points(t, "written"), h.points(t, "dropped"), h.points(t, "failed"); w+d+fl != 0 {
			t.Fatalf("during the outage written/dropped/failed = %d/%d/%d, want all held", w, d, fl)
		}
		if d := h.depth(t); d != 50 {
			t.Fatalf("depth = %d during the outage, want 50", d)
		}
		up.Store(true)
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()
		var want []string
		for i := 1; i <= 50; i++ {
			want = append(want, spooledLine(int64(i), 12))
		}
		if got := f.lines(); !slices.Equal(got, want) {
			t.Fatalf("after the outage %d lines sent, want the 50 in order", len(got))
		}
		if w := h.points(t, "written"); w != 50 {
			t.Errorf("written = %d, want 50", w)
		}
	})
}

func TestSpooledRejectedBatchIsNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{SpoolDir: t.TempDir(), BatchSize: 4, FlushInterval: time.Second})
		f := &fakeSink{fail: func(call int, _ context.Context) error {
			if call == 1 {
				return statusError(400, `partial write: field type conflict dropped=1`)
			}
			return nil
		}}
		h.useSink(f)
		dev, grid := lightbox()
		stop := h.run(t)
		for i := range 6 {
			h.w.Write(tel(int64(i), 12), dev, grid)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		stop()
		if got := f.sizes(); !slices.Equal(got, []int{2}) {
			t.Errorf("batches = %v, want the rejected one not resent and then [2]", got)
		}
		if w, fl := h.points(t, "written"), h.points(t, "failed"); w != 5 || fl != 1 {
			t.Errorf("written/failed = %d/%d, want 5/1", w, fl)
		}
	})
}

func TestSpooledReplayIsPaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{SpoolDir: t.TempDir(), BatchSize: 100, MaxPointsPerSecond: 200})
		f := &fakeSink{}
		h.useSink(f)
		dev, grid := lightbox()
		for i := range 2000 { // a backlog, spooled before Run
			h.w.Write(tel(int64(i), 12), dev, grid)
		}
		start := time.Now()
		stop := h.run(t)
		for h.points(t, "written") < 2000 {
			time.Sleep(100 * time.Millisecond)
		}
		took := time.Since(start)
		stop()
		if took < 9*time.Second || took > 11*time.Second {
			t.Errorf("2000 points at 200/s took %v, want about 10s", took)
		}
		if n := len(f.lines()); n != 2000 {
			t.Errorf("%d lines sent, want 2000", n)
		}
	})
}

func TestSpooledBufferFullAndClosedDrop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{SpoolDir: t.TempDir(), Queue: 5})
		f := &fakeSink{}
		h.useSink(f)
		dev, grid := lightbox()
		for i := range 8 { // Run not started: nothing syncs the buffer
			h.w.Write(tel(int64(i), 12), dev, grid)
		}
		if d := h.points(t, "dropped"); d != 3 {
			t.Fatalf("dropped = %d, want 3 (buffer of 5)", d)
		}
		if len(h.log.Lines("kind=queue_full")) != 1 {
			t.Errorf("want one queue-full log line:\n%s", h.log)
		}
		h.w.Write(event.Telemetry{Device: "lb-0001", TS: 1, Fields: map[string]any{"x": []int{1}}}, dev, grid)
		if fl := h.points(t, "failed"); fl != 1 {
			t.Errorf("failed = %d for a sample without storable fields, want 1", fl)
		}
		stop := h.run(t)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		stop()
		h.w.Write(tel(99, 12), dev, grid)
		if w, d := h.points(t, "written"), h.points(t, "dropped"); w != 5 || d != 4 {
			t.Errorf("written/dropped = %d/%d, want 5/4 (one after Run ended)", w, d)
		}
	})
}

func TestSpoolConfig(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{SpoolBytes: 1 << 30}, "spool_bytes: 1073741824 set without spool_dir"},
		{Config{SpoolDir: "x", SpoolBytes: 10}, "spool_bytes: spool: max_bytes: 10"},
		{Config{MaxPointsPerSecond: -1}, "max_points_per_second: -1 is negative"},
	}
	for _, tc := range tests {
		tc.cfg.URL, tc.cfg.Bucket, tc.cfg.Site = "http://127.0.0.1:1", "db", "s"
		if err := tc.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	dir := t.TempDir()
	h := newHarness(t, Config{SpoolDir: dir})
	defer h.run(t)()
	if _, err := New(Config{URL: "http://127.0.0.1:1", Bucket: "db", Site: "s", SpoolDir: dir}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("a second writer on one spool dir: %v, want an error", err)
	}
}
