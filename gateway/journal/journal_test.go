package journal

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/event"
)

func TestRoundTripAcrossRotation(t *testing.T) {
	dir := t.TempDir()
	const segBytes = 400 // three sample lines per segment
	j := mustOpen(t, dir, Options{SegmentBytes: segBytes})
	want := appendN(t, j, 0, 50)
	if got := ids(want); !slices.Equal(got, idRange(1, 50)) {
		t.Fatalf("assigned IDs %v, want 1..50", got)
	}
	if got := j.LastID(); got != 50 {
		t.Fatalf("LastID = %d, want 50", got)
	}
	if got := replayAll(t, j, 0); !reflect.DeepEqual(got, want) {
		t.Fatalf("Replay(0) differs from what was appended:\n got %v\nwant %v", got, want)
	}

	// Every segment is named for its first event, holds whole lines, stays
	// within SegmentBytes, and is itself a readable events file.
	files := segmentFiles(t, dir)
	if len(files) < 10 {
		t.Fatalf("%d segments for 50 events of ~130 bytes at %d bytes each: %v", len(files), segBytes, files)
	}
	var fromFiles []event.Event
	for _, name := range files {
		path := filepath.Join(dir, name)
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size() > segBytes {
			t.Errorf("%s is %d bytes, above SegmentBytes %d", name, info.Size(), segBytes)
		}
		n := len(fromFiles)
		if err := ReadFile(path, func(ev event.Event) error {
			fromFiles = append(fromFiles, ev)
			return nil
		}); err != nil {
			t.Fatalf("ReadFile: %v", err)
		}
		if name != segmentName(fromFiles[n].ID) {
			t.Errorf("segment %s starts with event %d", name, fromFiles[n].ID)
		}
	}
	if !reflect.DeepEqual(fromFiles, want) {
		t.Fatalf("segments read with ReadFile differ from what was appended")
	}

	second, _ := parseSegmentName(files[1])
	for _, after := range []uint64{0, 1, second - 1, second, second + 1, 49, 50, 51, math.MaxUint64} {
		got := ids(replayAll(t, j, after))
		wantIDs := idRange(min(after, 50)+1, 50)
		if !slices.Equal(got, wantIDs) {
			t.Errorf("Replay(%d) gave %v, want %v", after, got, wantIDs)
		}
	}
}

func TestReopenContinuesIDs(t *testing.T) {
	for _, segBytes := range []int64{0, 400} {
		dir := t.TempDir()
		j := mustOpen(t, dir, Options{SegmentBytes: segBytes})
		first := appendN(t, j, 0, 5)
		if err := j.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		j = mustOpen(t, dir, Options{SegmentBytes: segBytes})
		if got := j.LastID(); got != 5 {
			t.Fatalf("segBytes %d: LastID after reopen = %d, want 5", segBytes, got)
		}
		more := appendN(t, j, 5, 5)
		if got := ids(more); !slices.Equal(got, idRange(6, 10)) {
			t.Fatalf("segBytes %d: IDs after reopen %v, want 6..10", segBytes, got)
		}
		if got := replayAll(t, j, 0); !reflect.DeepEqual(got, append(first, more...)) {
			t.Fatalf("segBytes %d: replay after reopen = %v", segBytes, ids(got))
		}
	}
}

func TestOpenErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	held := t.TempDir()
	j := mustOpen(t, held, Options{})

	tests := []struct {
		name string
		dir  string
		opts Options
		want string
	}{
		{"negative segment size", t.TempDir(), Options{SegmentBytes: -1}, "SegmentBytes -1 is negative"},
		{"dir is a file", file, Options{}, "plain is not a directory"},
		{"dir under a file", filepath.Join(file, "j"), Options{}, "create directory"},
		{"dir already open", held, Options{}, "in use by another journal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := Open(tt.dir, tt.opts)
			if err == nil {
				j.Close()
				t.Fatalf("Open succeeded, want error %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open error %q, want it to say %q", err, tt.want)
			}
		})
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	again := mustOpen(t, held, Options{})
	if err := again.Close(); err != nil {
		t.Fatalf("reopen after Close: %v", err)
	}
}

func TestAppendRejectsBadEvents(t *testing.T) {
	j := mustOpen(t, t.TempDir(), Options{})
	tests := []struct {
		name string
		ev   event.Event
		want string
	}{
		{"no device", event.Event{Type: event.ButtonPressed}, `no "device"`},
		{"no type", event.Event{Device: "lb-0001"}, `no "type"`},
		{"NaN in data", event.Event{Device: "lb-0001", Type: "x", Data: map[string]any{"v": math.NaN()}}, `encode event of device "lb-0001"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := j.Append(t.Context(), &tt.ev)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Append error %v, want it to say %q", err, tt.want)
			}
			if tt.ev.ID != 0 {
				t.Fatalf("refused event got ID %d", tt.ev.ID)
			}
		})
	}
	// Refused events use up no IDs.
	if got := appendN(t, j, 0, 1)[0].ID; got != 1 {
		t.Fatalf("first accepted event got ID %d, want 1", got)
	}
}

func TestAfterClose(t *testing.T) {
	j := mustOpen(t, t.TempDir(), Options{})
	appendN(t, j, 0, 2)
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ev := sample(9)
	if err := j.Append(t.Context(), &ev); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v, want ErrClosed", err)
	}
	if err := j.Replay(0, func(event.Event) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Replay after Close = %v, want ErrClosed", err)
	}
	if err := j.Prune(10); !errors.Is(err, ErrClosed) {
		t.Fatalf("Prune after Close = %v, want ErrClosed", err)
	}
	if got := j.LastID(); got != 2 {
		t.Fatalf("LastID after Close = %d, want 2", got)
	}
}

func TestMetrics(t *testing.T) {
	dir := t.TempDir()
	reg := prometheus.NewRegistry()
	j := mustOpen(t, dir, Options{SegmentBytes: 400, Registerer: reg})
	appendN(t, j, 0, 7)

	if got := metric(t, reg, "gridwatch_journal_appends_total"); got != 7 {
		t.Errorf("appends_total = %v, want 7", got)
	}
	if got := metric(t, reg, "gridwatch_journal_last_id"); got != 7 {
		t.Errorf("last_id = %v, want 7", got)
	}
	if got, want := metric(t, reg, "gridwatch_journal_bytes"), float64(dirBytes(t, dir)); got != want {
		t.Errorf("bytes = %v, want %v (the files' sizes)", got, want)
	}
	// 7 single appends: one sync each, plus a directory sync for each
	// segment created.
	segs := len(segmentFiles(t, dir))
	fsyncs := metric(t, reg, "gridwatch_journal_fsyncs_total")
	if want := float64(7 + segs); fsyncs != want {
		t.Errorf("fsyncs_total = %v, want %v (7 appends, %d segments)", fsyncs, want, segs)
	}
	if got := metric(t, reg, "gridwatch_journal_fsync_seconds"); got != fsyncs {
		t.Errorf("fsync_seconds has %v samples, want one per fsync (%v)", got, fsyncs)
	}

	// A second journal cannot take the same names in one registry.
	if j2, err := Open(t.TempDir(), Options{Registerer: reg}); err == nil {
		j2.Close()
		t.Fatal("second journal registered the same metrics")
	} else if !strings.Contains(err.Error(), "register metrics") {
		t.Fatalf("error %q does not say what failed", err)
	}

	// Reopened, the gauges start from what is on disk.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	reg2 := prometheus.NewRegistry()
	mustOpen(t, dir, Options{Registerer: reg2})
	if got := metric(t, reg2, "gridwatch_journal_last_id"); got != 7 {
		t.Errorf("last_id after reopen = %v, want 7", got)
	}
	if got, want := metric(t, reg2, "gridwatch_journal_bytes"), float64(dirBytes(t, dir)); got != want {
		t.Errorf("bytes after reopen = %v, want %v", got, want)
	}
}
