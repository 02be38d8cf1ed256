package spool

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestTornOrCorruptTail(t *testing.T) {
	lastLen := frameLen(len(rec(9)))
	tests := []struct {
		name     string
		damage   func(t *testing.T, path string, size int64)
		keep     int // records kept of 10
		wantLog  string
		wantSize func(size int64) int64
	}{
		{"half a header appended", func(t *testing.T, p string, _ int64) { appendBytes(t, p, []byte{5, 0, 0}) },
			10, "header cut short", func(s int64) int64 { return s }},
		{"last payload cut short", func(t *testing.T, p string, size int64) { truncate(t, p, size-3) },
			9, "payload cut short", func(s int64) int64 { return s - lastLen }},
		{"bit flip in the last record", func(t *testing.T, p string, size int64) { flip(t, p, size-2) },
			9, "checksum", func(s int64) int64 { return s - lastLen }},
		{"bit flip in the last length", func(t *testing.T, p string, size int64) { flip(t, p, size-lastLen) },
			9, "", func(s int64) int64 { return s - lastLen }},
		{"zeros after the last record", func(t *testing.T, p string, _ int64) { appendBytes(t, p, make([]byte, 4096)) },
			10, "length 0", func(s int64) int64 { return s }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			x := open(t, dir, Options{})
			x.appendN(t, 0, 10)
			if err := x.Close(); err != nil {
				t.Fatal(err)
			}
			path := lastSeg(t, dir)
			size := fileSize(t, path)
			tc.damage(t, path, size)

			y := open(t, dir, Options{})
			defer y.Close()
			if got := fileSize(t, path); got != tc.wantSize(size) {
				t.Errorf("segment is %d bytes after reopening, want %d (damage truncated)", got, tc.wantSize(size))
			}
			if len(y.logLines("tail truncated", tc.wantLog)) != 1 {
				t.Errorf("want one log line about the truncated tail (%q):\n%s", tc.wantLog, y.log)
			}
			// New records follow the kept ones, with nothing of the damage between.
			y.appendN(t, 100, 103)
			if err := y.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := y.drain(t, 4); !slices.Equal(got, append(want(0, tc.keep), want(100, 103)...)) {
				t.Fatalf("records = %q", got)
			}
		})
	}
}

func TestReopenAfterCrash(t *testing.T) {
	dir := t.TempDir()
	x := open(t, dir, Options{SegmentBytes: 1 << 10, MaxBytes: 1 << 20})
	x.appendN(t, 0, 100)
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	acked := x.drainN(t, 30, 30) // one batch of 30 acknowledged
	b, err := x.Next(20)         // handed out, never acknowledged
	if err != nil || b.Len() == 0 {
		t.Fatal(b.Len(), err)
	}
	x.appendN(t, 100, 120) // buffered, never fsync'd: lost in the crash
	x.crash()

	y := open(t, dir, Options{SegmentBytes: 1 << 10, MaxBytes: 1 << 20})
	defer y.Close()
	if d := y.Depth(); d != 70 {
		t.Errorf("Depth after reopening = %d, want 70", d)
	}
	y.appendN(t, 200, 210)
	if err := y.Flush(); err != nil {
		t.Fatal(err)
	}
	got := y.drain(t, 16)
	if !slices.Equal(acked, want(0, 30)) || !slices.Equal(got, append(want(30, 100), want(200, 210)...)) {
		t.Fatalf("after the crash: got %q", got)
	}
}

func TestCursorPersists(t *testing.T) {
	dir := t.TempDir()
	x := open(t, dir, Options{SegmentBytes: 1 << 10, MaxBytes: 1 << 20})
	for i := 0; i < 100; i += 10 {
		x.appendN(t, i, i+10)
		if err := x.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	acked := len(x.drainN(t, 9, 45)) // the cursor mid-segment
	x.Close()
	before := len(segFiles(t, dir))

	y := open(t, dir, Options{SegmentBytes: 1 << 10, MaxBytes: 1 << 20})
	if got := y.drain(t, 100); !slices.Equal(got, want(acked, 100)) {
		t.Fatalf("after reopening: %q", got)
	}
	if after := len(segFiles(t, dir)); after >= before || after != 1 {
		t.Errorf("segments: %d before draining, %d after; want the acknowledged ones deleted", before, after)
	}
	y.Close()

	// A damaged cursor replays what is kept rather than skipping it.
	z := open(t, dir, Options{})
	z.appendN(t, 100, 105)
	z.Close()
	if err := os.WriteFile(filepath.Join(dir, cursorName), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := open(t, dir, Options{})
	defer w.Close()
	got := w.drain(t, 100)
	if len(got) == 0 || got[len(got)-1] != string(rec(104)) || len(got) < 5 {
		t.Errorf("with a damaged cursor: %q, want the kept records replayed", got)
	}
	if len(w.logLines("cursor unreadable")) != 1 {
		t.Errorf("no log line about the damaged cursor:\n%s", w.log)
	}
}

func TestBadInput(t *testing.T) {
	x := open(t, t.TempDir(), Options{})
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"empty record", x.Append(nil), "record of 0 bytes"},
		{"record too large", x.Append(make([]byte, MaxRecord+1)), "want 1..16777216"},
		{"Next(0)", func() error { _, err := x.Next(0); return err }(), "max 0"},
		{"ack ahead", x.Ack(Batch{first: 5, end: 6}), "record 0 is not acknowledged"},
		{"dir in use", func() error { _, err := Open(x.dir, Options{}); return err }(), "in use"},
		{"bad options", Options{MaxBytes: 100, SyncRecords: -1, SegmentBytes: -1}.Validate(), "max_bytes"},
		{"segment too large", Options{MaxBytes: 1 << 20, SegmentBytes: 1 << 19}.Validate(), "segment_bytes: 524288 is out of range 0..262144"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", tc.err, tc.want)
			}
		})
	}
	x.Close()
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "x12.seg"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(bad, Options{}); err == nil || !strings.Contains(err.Error(), "x12.seg") {
		t.Errorf("Open with a stray .seg file = %v, want an error naming it", err)
	}
	if err := (Options{MaxBytes: 100, SyncRecords: -1}).Validate(); err == nil || !strings.Contains(err.Error(), "sync_records") {
		t.Errorf("Validate reports only some problems: %v", err)
	}
}

func appendBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

func flip(t *testing.T, path string, at int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[at] ^= 0x10
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestDamageFoundWhileReading(t *testing.T) {
	dir := t.TempDir()
	x := open(t, dir, Options{SegmentBytes: 1 << 10, MaxBytes: 1 << 20})
	defer x.Close()
	for i := 0; i < 60; i += 10 {
		x.appendN(t, i, i+10)
		if err := x.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	// Rot in the 6th record of the first segment (records 0..19), after Open.
	first := segFiles(t, dir)[0]
	flip(t, first, 5*frameLen(len(rec(0)))+headerLen+3)

	b, err := x.Next(100)
	if err != nil || b.Len() != 5 {
		t.Fatalf("Next = %d records, %v; want the 5 good ones before the damage", b.Len(), err)
	}
	if err := x.Ack(b); err != nil {
		t.Fatal(err)
	}
	if got := x.drain(t, 100); !slices.Equal(got, want(20, 60)) {
		t.Fatalf("after the damage: %q, want the next segment on", got)
	}
	if d := x.metric(t, "gridwatch_spool_dropped_total", "corrupt"); d != 15 {
		t.Errorf("dropped{corrupt} = %v, want 15", d)
	}
	if x.Depth() != 0 || len(x.logLines("damaged record")) != 1 {
		t.Errorf("depth %d; log:\n%s", x.Depth(), x.log)
	}
}
