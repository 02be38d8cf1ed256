package journal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// appendTo adds raw bytes to a file, as a crash mid-write would leave them.
func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// line is the journal line of sample(i) with the given ID.
func line(t *testing.T, id uint64, i int) string {
	t.Helper()
	ev := sample(i)
	ev.ID = id
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

func TestTornTailIsDropped(t *testing.T) {
	tests := []struct {
		name string
		tail func(t *testing.T) string
	}{
		{"half a line", func(t *testing.T) string { s := line(t, 4, 4); return s[:len(s)/2] }},
		{"whole line but no newline", func(t *testing.T) string { s := line(t, 4, 4); return s[:len(s)-1] }},
		{"zeros of an unwritten block", func(*testing.T) string { return strings.Repeat("\x00", 4096) }},
		{"garbled line", func(*testing.T) string { return "{\"id\":4,\"dev\x00\x00ice\"}\n" }},
		{"two garbled lines", func(*testing.T) string { return "xx\nyy\n" }},
		{"garbled line then half a line", func(t *testing.T) string { return "xx\n" + line(t, 5, 5)[:20] }},
		{"blank line", func(*testing.T) string { return "\n" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j := mustOpen(t, dir, Options{})
			want := appendN(t, j, 0, 3)
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			seg := filepath.Join(dir, segmentName(1))
			good, err := os.ReadFile(seg)
			if err != nil {
				t.Fatal(err)
			}
			appendTo(t, seg, tt.tail(t))

			var logs bytes.Buffer
			j = mustOpen(t, dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if !strings.Contains(logs.String(), "level=WARN msg=\"dropped a damaged last line of the journal: a write cut short by a crash, never acknowledged") || !strings.Contains(logs.String(), "line=4") {
				t.Errorf("recovery not logged with its line: %s", logs.String())
			}
			if got, _ := os.ReadFile(seg); !bytes.Equal(got, good) {
				t.Fatalf("segment after recovery:\n%q\nwant\n%q", got, good)
			}
			if got := j.LastID(); got != 3 {
				t.Fatalf("LastID = %d, want 3", got)
			}
			if got := replayAll(t, j, 0); !reflect.DeepEqual(got, want) {
				t.Fatalf("events before the tear: %v", ids(got))
			}
			want = append(want, appendN(t, j, 3, 2)...)
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			j = mustOpen(t, dir, Options{})
			if got := replayAll(t, j, 0); !reflect.DeepEqual(got, want) {
				t.Fatalf("after appending past the tear and reopening: %v", ids(got))
			}
		})
	}
}

func TestTornFirstLineOfSegment(t *testing.T) {
	dir := t.TempDir()
	j := mustOpen(t, dir, Options{SegmentBytes: 400})
	want := appendN(t, j, 0, 2)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash just after the next segment was created.
	appendTo(t, filepath.Join(dir, segmentName(3)), line(t, 3, 3)[:30])

	j = mustOpen(t, dir, Options{SegmentBytes: 400})
	if got := segmentFiles(t, dir); !slices.Equal(got, []string{segmentName(1)}) {
		t.Fatalf("segments after recovery: %v, want the torn one removed", got)
	}
	if got := j.LastID(); got != 2 {
		t.Fatalf("LastID = %d, want 2", got)
	}
	want = append(want, appendN(t, j, 2, 3)...)
	if got := replayAll(t, j, 0); !reflect.DeepEqual(got, want) {
		t.Fatalf("replay: %v, want 1..5", ids(got))
	}
}

// TestDamagedLinesAreCutOut: damaged lines with valid ones after them held
// acknowledged events (a crash only cuts the last batch short). Open no
// longer refuses the journal (the gateway would not start): it logs each as
// an error, counts it, rewrites the segment from its valid lines (keeping
// the damaged file aside) and goes on.
func TestDamagedLinesAreCutOut(t *testing.T) {
	tests := []struct {
		name  string
		lines func(t *testing.T) string
		keep  []uint64
		seg   string // the segment's name after the rewrite
		bad   []int  // damaged line numbers logged
	}{
		{"garbage between valid lines", func(t *testing.T) string { return line(t, 1, 1) + "not json\n" + line(t, 2, 2) },
			[]uint64{1, 2}, segmentName(1), []int{2}},
		{"torn line between valid lines", func(t *testing.T) string { return line(t, 1, 1) + line(t, 2, 2)[:15] + "\n" + line(t, 3, 3) },
			[]uint64{1, 3}, segmentName(1), []int{2}},
		{"id out of order", func(t *testing.T) string { return line(t, 1, 1) + line(t, 3, 3) + line(t, 2, 2) + line(t, 4, 4) },
			[]uint64{1, 3, 4}, segmentName(1), []int{3}},
		{"first lines damaged", func(t *testing.T) string { return "xx\n\x00\x00\n" + line(t, 3, 3) + line(t, 4, 4) },
			[]uint64{3, 4}, segmentName(3), []int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			appendTo(t, filepath.Join(dir, segmentName(1)), tt.lines(t))
			var logs bytes.Buffer
			reg := prometheus.NewRegistry()
			j := mustOpen(t, dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Registerer: reg})
			if got := ids(replayAll(t, j, 0)); !slices.Equal(got, tt.keep) {
				t.Fatalf("replay = %v, want %v", got, tt.keep)
			}
			for _, n := range tt.bad {
				if want := fmt.Sprintf("line=%d", n); !strings.Contains(logs.String(), "level=ERROR msg=\"journal line damaged on disk") ||
					!strings.Contains(logs.String(), want) {
					t.Errorf("damaged line %d not logged as an error:\n%s", n, logs.String())
				}
			}
			if got := metric(t, reg, "gridwatch_journal_lost_events_total"); got != float64(len(tt.bad)) {
				t.Errorf("lost_events_total = %v, want %d", got, len(tt.bad))
			}
			if got := segmentFiles(t, dir); !slices.Equal(got, []string{tt.seg}) {
				t.Errorf("segments %v, want %v", got, []string{tt.seg})
			}
			if aside, _ := filepath.Glob(filepath.Join(dir, segmentName(1)+".damaged-*")); len(aside) != 1 {
				t.Errorf("damaged file kept as %v, want one", aside)
			}
			last := tt.keep[len(tt.keep)-1]
			if got := appendN(t, j, 9, 1)[0].ID; got != last+1 {
				t.Errorf("next ID %d, want %d", got, last+1)
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			j = mustOpen(t, dir, Options{})
			if got := ids(replayAll(t, j, 0)); !slices.Equal(got, append(slices.Clone(tt.keep), last+1)) {
				t.Fatalf("after reopening: %v", got)
			}
		})
	}
}

// A segment whose first event is not the one it is named for, with no
// damaged line, is an error: it was misnamed, not damaged.
func TestMisnamedSegmentIsAnError(t *testing.T) {
	dir := t.TempDir()
	appendTo(t, filepath.Join(dir, segmentName(1)), line(t, 2, 2))
	j, err := Open(dir, Options{})
	if err == nil {
		j.Close()
		t.Fatal("Open succeeded")
	}
	if want := segmentName(1) + ":1: first event has id 2, but the segment is named for 1"; !strings.Contains(err.Error(), want) {
		t.Fatalf("Open = %v, want %s", err, want)
	}
}

// TestDamagedOlderSegmentIsSkippedInReplay: a damaged line in an older
// segment is logged, counted and skipped; the events around it replay.
func TestDamagedOlderSegmentIsSkippedInReplay(t *testing.T) {
	dir := t.TempDir()
	j := mustOpen(t, dir, Options{SegmentBytes: 400})
	appendN(t, j, 0, 10)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	files := segmentFiles(t, dir)
	first := filepath.Join(dir, files[0])
	data, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	data[0] = '#' // line 1 of the oldest segment
	if err := os.WriteFile(first, data, 0o600); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	j = mustOpen(t, dir, Options{SegmentBytes: 400, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Registerer: reg})
	if got := ids(replayAll(t, j, 0)); !slices.Equal(got, idRange(2, 10)) {
		t.Fatalf("Replay(0) = %v, want 2..10", got)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), files[0]) || !strings.Contains(logs.String(), "line=1") {
		t.Errorf("damaged line not logged with file and line:\n%s", logs.String())
	}
	if got := metric(t, reg, "gridwatch_journal_lost_events_total"); got != 1 {
		t.Errorf("lost_events_total = %v, want 1", got)
	}
	// Replaying past the damaged segment does not read it.
	second, _ := parseSegmentName(files[1])
	if got := ids(replayAll(t, j, second-1)); !slices.Equal(got, idRange(second, 10)) {
		t.Fatalf("Replay(%d) = %v", second-1, got)
	}
}
