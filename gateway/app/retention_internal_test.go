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

// TestRetentionKeepsWhatEitherReplayNeeds: the journal is pruned only
// behind the older of the desk's checkpoint and the rules' snapshot on
// disk; before the first snapshot nothing is pruned.
func TestRetentionKeepsWhatEitherReplayNeeds(t *testing.T) {
	tests := []struct {
		name        string
		desk, rules uint64
		want        uint64 // replay after this must still see every event
	}{
		{"no snapshot yet", 40, 0, 0},
		{"rules behind the desk", 40, 12, 12},
		{"desk behind the rules", 9, 30, 9},
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
			rules := &ruleState{}
			rules.saved.Store(tt.rules)
			r := &retention{journal: j, policy: journal.Retention{MaxBytes: 1}, log: slog.New(slog.DiscardHandler),
				after: replayPoint(func() uint64 { return tt.desk }, rules)}
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
