package app

import (
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/journal"
)

// TestRetentionKeepsWhatAReplayNeeds: the journal is pruned only behind
// the point a restart replays from (the rule runner's ReplayPoint, the
// older of the desk's checkpoint and the rules' snapshot on disk; 0
// before the first snapshot, when nothing is pruned).
func TestRetentionKeepsWhatAReplayNeeds(t *testing.T) {
	tests := []struct {
		name string
		want uint64 // the replay point: a replay after it must still see every event
	}{
		{"no snapshot yet", 0},
		{"replay from inside the journal", 12},
		{"replay from the first segment", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "journal")
			j, err := journal.Open(dir, journal.Options{SegmentBytes: 300})
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			for i := range 40 {
				ev := event.Event{Device: "lb-0001", Type: event.ButtonPressed, Seq: int64(i + 1), TS: 1}
				if err := j.Append(t.Context(), &ev); err != nil {
					t.Fatal(err)
				}
			}
			r := &retention{journal: j, policy: journal.Retention{MaxBytes: 1}, log: slog.New(slog.DiscardHandler),
				after: func() uint64 { return tt.want }}
			r.once(time.Now())

			var got []uint64
			if err := j.Replay(tt.want, func(ev event.Event) error { got = append(got, ev.ID); return nil }); err != nil {
				t.Fatalf("replay after %d: %v", tt.want, err)
			}
			var want []uint64
			for id := tt.want + 1; id <= 40; id++ {
				want = append(want, id)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("replay after %d gives %v, want %v", tt.want, got, want)
			}
			segs, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
			slices.Sort(segs)
			first := filepath.Base(segs[0])
			if pruned := first != "00000000000000000001.jsonl"; pruned != (tt.want > 5) {
				t.Errorf("oldest segment left is %s; want pruning only when a replay starts past the first segments", first)
			}
		})
	}
}
