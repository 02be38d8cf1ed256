package journal

import (
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestPrune(t *testing.T) {
	// Each case starts from a fresh journal of 30 events, three to a
	// segment: segments start at 1, 4, 7, ... 28.
	firsts := func(from uint64) []string {
		var names []string
		for id := from; id <= 28; id += 3 {
			names = append(names, segmentName(id))
		}
		return names
	}
	tests := []struct {
		before uint64
		keep   []string
	}{
		{0, firsts(1)},
		{3, firsts(1)}, // segment 1..3 still holds 3
		{4, firsts(4)}, // 1..3 all below 4
		{12, firsts(10)},
		{28, firsts(28)},
		{1 << 40, firsts(28)}, // the segment being written stays
	}
	for _, tt := range tests {
		dir := t.TempDir()
		reg := prometheus.NewRegistry()
		j := mustOpen(t, dir, Options{SegmentBytes: 3 * int64(len(line(t, 10, 10))), Registerer: reg})
		appendN(t, j, 10, 30)
		if got := segmentFiles(t, dir); !slices.Equal(got, firsts(1)) {
			t.Fatalf("segments %v, want %v", got, firsts(1))
		}
		if err := j.Prune(tt.before); err != nil {
			t.Fatalf("Prune(%d): %v", tt.before, err)
		}
		if got := segmentFiles(t, dir); !slices.Equal(got, tt.keep) {
			t.Errorf("Prune(%d) left %v, want %v", tt.before, got, tt.keep)
		}
		oldest, _ := parseSegmentName(tt.keep[0])
		if got := ids(replayAll(t, j, 0)); !slices.Equal(got, idRange(oldest, 30)) {
			t.Errorf("Prune(%d): replay gives %v", tt.before, got)
		}
		if got, want := metric(t, reg, "gridwatch_journal_bytes"), float64(dirBytes(t, dir)); got != want {
			t.Errorf("Prune(%d): bytes gauge %v, files %v", tt.before, got, want)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		j = mustOpen(t, dir, Options{})
		if got := j.LastID(); got != 30 {
			t.Errorf("Prune(%d): LastID after reopen = %d, want 30", tt.before, got)
		}
	}
}
