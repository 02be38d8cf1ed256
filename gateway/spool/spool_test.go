package spool

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestRoundTrip(t *testing.T) {
	x := open(t, t.TempDir(), Options{})
	defer x.Close()
	x.appendN(t, 0, 25)
	if b, err := x.Next(10); err != nil || b.Len() != 0 {
		t.Fatalf("Next before any fsync = %d records, %v; want none (not durable yet)", b.Len(), err)
	}
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	b, err := x.Next(10)
	if err != nil || b.Len() != 10 || b.First() != 0 {
		t.Fatalf("Next(10) = %d records from %d, %v", b.Len(), b.First(), err)
	}
	again, _ := x.Next(10)
	if !slices.EqualFunc(b.Records, again.Records, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatal("Next without Ack did not hand out the same records again")
	}
	if err := x.Ack(b); err != nil {
		t.Fatal(err)
	}
	if err := x.Ack(b); err != nil {
		t.Errorf("second Ack of one batch: %v, want nil", err)
	}
	got := append(toStrings(b), x.drain(t, 10)...)
	if !slices.Equal(got, want(0, 25)) {
		t.Fatalf("records = %q", got)
	}
	for _, m := range []struct {
		name string
		want float64
	}{
		{"gridwatch_spool_appended_total", 25},
		{"gridwatch_spool_acked_total", 25},
		{"gridwatch_spool_records", 0},
		{"gridwatch_spool_segments", 1},
	} {
		if v := x.metric(t, m.name, ""); v != m.want {
			t.Errorf("%s = %v, want %v", m.name, v, m.want)
		}
	}
	if v := x.metric(t, "gridwatch_spool_bytes", ""); v != float64(fileSize(t, lastSeg(t, x.dir))) || v == 0 {
		t.Errorf("gridwatch_spool_bytes = %v, segment file has %d", v, fileSize(t, lastSeg(t, x.dir)))
	}
}

func toStrings(b Batch) []string {
	var out []string
	for _, r := range b.Records {
		out = append(out, string(r))
	}
	return out
}

func TestOrderAcrossSegments(t *testing.T) {
	x := open(t, t.TempDir(), Options{MaxBytes: 1 << 20, SegmentBytes: 4 << 10})
	defer x.Close()
	const n = 3000
	for i := 0; i < n; i += 100 {
		x.appendN(t, i, i+100)
		if err := x.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	segs := len(segFiles(t, x.dir))
	if segs < 10 {
		t.Fatalf("%d segments for %d records of ~50 bytes in 4 KiB segments, want many", segs, n)
	}
	if d := x.Depth(); d != n {
		t.Errorf("Depth = %d, want %d", d, n)
	}
	if b, err := x.Next(500); err != nil || b.Len() != 500 {
		t.Errorf("Next(500) = %d records, %v; want 500, across segments", b.Len(), err)
	}
	// Read half, then the rest interleaved with more appends.
	got := x.drainN(t, 7, n/2)
	x.appendN(t, n, n+50)
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	got = append(got, x.drain(t, 7)...)
	if !slices.Equal(got, want(0, n+50)) {
		t.Fatalf("records out of order or missing: got %d, want %d", len(got), n+50)
	}
	if d := x.Depth(); d != 0 {
		t.Errorf("Depth = %d after everything was acknowledged", d)
	}
	if left := len(segFiles(t, x.dir)); left != 1 {
		t.Errorf("%d segment files left after everything was acknowledged, want 1 (the active one)", left)
	}
}

// drainN reads and acknowledges batches of max until at least n records.
func (x *testSpool) drainN(t *testing.T, max, n int) []string {
	t.Helper()
	var out []string
	for len(out) < n {
		b, err := x.Next(max)
		if err != nil || b.Len() == 0 {
			t.Fatalf("Next: %d records, %v", b.Len(), err)
		}
		out = append(out, toStrings(b)...)
		if err := x.Ack(b); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestFullSpoolDropsOldestSegment(t *testing.T) {
	told := 0
	x := open(t, t.TempDir(), Options{MaxBytes: 64 << 10, SegmentBytes: 8 << 10,
		OnDrop: func(reason string, n int) {
			if reason == "full" {
				told += n
			}
		}})
	defer x.Close()
	const n = 5000 // ~300 KiB of frames into a 64 KiB spool
	for i := 0; i < n; i += 50 {
		x.appendN(t, i, i+50)
		if err := x.Flush(); err != nil {
			t.Fatal(err)
		}
		var total int64
		for _, f := range segFiles(t, x.dir) {
			total += fileSize(t, f)
		}
		if total > 64<<10 {
			t.Fatalf("after %d records the segments hold %d bytes, over MaxBytes", i+50, total)
		}
	}
	dropped := x.metric(t, "gridwatch_spool_dropped_total", "full")
	depth := x.Depth()
	if dropped == 0 || int64(dropped)+depth != n {
		t.Fatalf("dropped %v + depth %d != %d appended", dropped, depth, n)
	}
	if told != int(dropped) {
		t.Errorf("OnDrop was told of %d records, the counter says %v", told, dropped)
	}
	got := x.drain(t, 100)
	first := n - len(got)
	if !slices.Equal(got, want(first, n)) {
		t.Fatalf("kept records are not the newest %d in order", len(got))
	}
	if len(x.logLines("oldest segment dropped")) == 0 {
		t.Errorf("no log line about dropping:\n%s", x.log)
	}
}

func TestBufferFull(t *testing.T) {
	x := open(t, t.TempDir(), Options{Buffer: 3})
	defer x.Close()
	x.appendN(t, 0, 3)
	if err := x.Append(rec(3)); !errors.Is(err, ErrBufferFull) {
		t.Fatalf("4th Append into a buffer of 3 = %v, want ErrBufferFull", err)
	}
	if d := x.metric(t, "gridwatch_spool_dropped_total", "buffer_full"); d != 1 {
		t.Errorf("dropped{buffer_full} = %v, want 1", d)
	}
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	x.appendN(t, 3, 6) // room again
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if err := x.Append(rec(6)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
	y := open(t, x.dir, Options{})
	defer y.Close()
	if got := y.drain(t, 100); !slices.Equal(got, want(0, 6)) {
		t.Errorf("after Close and reopen: %q", got)
	}
}

func TestRunSyncsByCountAndByTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := open(t, t.TempDir(), Options{SyncRecords: 10, SyncInterval: 100 * time.Millisecond, BufferBytes: 16 << 10})
		done := make(chan error, 1)
		ctx, cancel := contextWithCancel(t)
		go func() { done <- x.Run(ctx) }()

		x.appendN(t, 0, 3)
		time.Sleep(99 * time.Millisecond)
		synctest.Wait()
		if b, _ := x.Next(100); b.Len() != 0 {
			t.Fatalf("%d records durable before SyncInterval", b.Len())
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		select {
		case <-x.Notify():
		default:
			t.Error("no Notify after a flush")
		}
		if b, _ := x.Next(100); b.Len() != 3 {
			t.Fatalf("%d records durable at SyncInterval, want 3", b.Len())
		}

		x.appendN(t, 3, 13) // SyncRecords: no waiting
		synctest.Wait()
		if b, _ := x.Next(100); b.Len() != 13 {
			t.Fatalf("%d records durable right after SyncRecords appends, want 13", b.Len())
		}

		x.drain(t, 100)
		big := make([]byte, 1000) // half of BufferBytes (8 KiB) is due too
		for i := range 9 {
			if err := x.Append(big); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			if b, _ := x.Next(100); i < 8 && b.Len() != 0 {
				t.Fatalf("%d records durable before half of BufferBytes", b.Len())
			}
		}
		if b, _ := x.Next(100); b.Len() != 9 {
			t.Fatalf("%d records durable after half of BufferBytes, want 9", b.Len())
		} else if err := x.Ack(b); err != nil {
			t.Fatal(err)
		}

		x.appendN(t, 13, 14)
		cancel() // Run flushes on the way out
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := x.drain(t, 100); !slices.Equal(got, want(13, 14)) {
			t.Fatalf("records = %q", got)
		}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestConcurrentAppenders(t *testing.T) {
	x := open(t, t.TempDir(), Options{SegmentBytes: 64 << 10, Buffer: 100000})
	ctx, cancel := contextWithCancel(t)
	done := make(chan error)
	go func() { done <- x.Run(ctx) }()
	const writers, each = 8, 2000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := x.Append([]byte{byte(w), byte(i >> 8), byte(i)}); err != nil {
					t.Errorf("Append: %v", err)
					return
				}
			}
		})
	}
	// Read while they append.
	var got [][]byte
	deadline := time.Now().Add(60 * time.Second)
	for len(got) < writers*each && time.Now().Before(deadline) {
		b, err := x.Next(500)
		if err != nil {
			t.Fatal(err)
		}
		if b.Len() == 0 {
			select {
			case <-x.Notify():
			case <-time.After(time.Second):
			}
			continue
		}
		got = append(got, b.Records...)
		if err := x.Ack(b); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	cancel()
	<-done
	x.Close()
	if len(got) != writers*each {
		t.Fatalf("read %d records, want %d", len(got), writers*each)
	}
	nextOf := make([]int, writers)
	for _, r := range got {
		w, i := int(r[0]), int(r[1])<<8|int(r[2])
		if i != nextOf[w] {
			t.Fatalf("writer %d: record %d after %d: out of order or duplicated", w, i, nextOf[w]-1)
		}
		nextOf[w]++
	}
}
