package journal

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
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

func TestCorruptionIsAnError(t *testing.T) {
	tests := []struct {
		name  string
		lines func(t *testing.T) string
		want  string
	}{
		{
			"garbage between valid lines",
			func(t *testing.T) string { return line(t, 1, 1) + "not json\n" + line(t, 2, 2) },
			segmentName(1) + ":2: damaged line before valid ones (line 3): not a JSON object",
		},
		{
			"torn line between valid lines",
			func(t *testing.T) string { return line(t, 1, 1) + line(t, 2, 2)[:15] + "\n" + line(t, 3, 3) },
			segmentName(1) + ":2: damaged line before valid ones (line 3): bad JSON",
		},
		{
			"id out of order",
			func(t *testing.T) string { return line(t, 1, 1) + line(t, 3, 3) + line(t, 2, 2) },
			segmentName(1) + ":3: id 2 does not follow 3",
		},
		{
			"first id not the segment's name",
			func(t *testing.T) string { return line(t, 2, 2) },
			segmentName(1) + ":1: first event has id 2, but the segment is named for 1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			appendTo(t, filepath.Join(dir, segmentName(1)), tt.lines(t))
			j, err := Open(dir, Options{})
			if err == nil {
				j.Close()
				t.Fatalf("Open succeeded, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open error:\n%v\nwant it to contain\n%s", err, tt.want)
			}
			// The directory is released for another try.
			if err := os.Remove(filepath.Join(dir, segmentName(1))); err != nil {
				t.Fatal(err)
			}
			mustOpen(t, dir, Options{})
		})
	}
}

func TestCorruptOlderSegmentFailsReplay(t *testing.T) {
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

	j = mustOpen(t, dir, Options{SegmentBytes: 400})
	err = j.Replay(0, func(ev event.Event) error { return nil })
	if want := files[0] + ":1: not a JSON object"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Replay(0) = %v, want an error naming %s", err, want)
	}
	// Replaying past the damaged segment does not read it.
	second, _ := parseSegmentName(files[1])
	if got := ids(replayAll(t, j, second-1)); !slices.Equal(got, idRange(second, 10)) {
		t.Fatalf("Replay(%d) = %v", second-1, got)
	}
}
