package journal

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestRetainKeepsWhatReplayNeeds: retention by age and by size removes old
// segments, but never one holding an ID after the replay point, nor the
// segment being written.
func TestRetainKeepsWhatReplayNeeds(t *testing.T) {
	// 30 events, three to a segment: segments start at 1, 4, ..., 28.
	firsts := func(from uint64) []string {
		var names []string
		for id := from; id <= 28; id += 3 {
			names = append(names, segmentName(id))
		}
		return names
	}
	now := time.Now()
	tests := []struct {
		name  string
		r     Retention
		after uint64
		keep  []string
	}{
		{"nothing old, nothing big", Retention{MaxAge: time.Hour, MaxBytes: 1 << 30}, 30, firsts(1)},
		{"all old, replay after 0", Retention{MaxAge: time.Minute}, 0, firsts(1)},
		{"all old, replay after 5", Retention{MaxAge: time.Minute}, 5, firsts(4)},            // 4..6 holds 6
		{"all old, replay after 6", Retention{MaxAge: time.Minute}, 6, firsts(7)},            // 4..6 all ≤ 6
		{"all old, replay after everything", Retention{MaxAge: time.Minute}, 30, firsts(28)}, // the last stays
		{"too big, replay after everything", Retention{MaxBytes: 1}, 30, firsts(28)},
		{"too big, replay after 13", Retention{MaxBytes: 1}, 13, firsts(13)},
		{"no bounds", Retention{}, 30, firsts(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j := mustOpen(t, dir, Options{SegmentBytes: 3 * int64(len(line(t, 10, 10)))})
			appendN(t, j, 10, 30)
			old := now.Add(-10 * time.Minute)
			for _, name := range segmentFiles(t, dir) {
				if err := os.Chtimes(filepath.Join(dir, name), old, old); err != nil {
					t.Fatal(err)
				}
			}
			n, err := j.Retain(tt.r, tt.after, now)
			if err != nil {
				t.Fatal(err)
			}
			got := segmentFiles(t, dir)
			if !slices.Equal(got, tt.keep) {
				t.Fatalf("kept %v, want %v", got, tt.keep)
			}
			if want := len(firsts(1)) - len(tt.keep); n != want {
				t.Errorf("Retain says %d removed, want %d", n, want)
			}
			// A restart replays after tt.after: every event it needs is there.
			if got := ids(replayAll(t, j, tt.after)); !slices.Equal(got, idRange(tt.after+1, 30)) && tt.after < 30 {
				t.Errorf("replay after %d gives %v", tt.after, got)
			}
		})
	}
}
