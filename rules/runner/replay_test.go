package runner

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// TestSettledReplayRebuildsWindowsWithoutResending: the rules' snapshot
// is older than the desk's checkpoint when the gateway dies (the desk
// stored a press and three denied cards, the snapshot was taken before
// them). The restart replays those four events only into the rules: the
// count window holds its three cards, so two more raise exactly one
// alarm, while the press is neither raised, paged nor strobed again.
func TestSettledReplayRebuildsWindowsWithoutResending(t *testing.T) {
	dir := t.TempDir()
	r := startRig(t, dir)
	if err := r.run.SaveSnapshot(t.Context()); err != nil { // after event 0
		t.Fatal(err)
	}
	press := r.append("lb-0001", event.ButtonPressed)
	for range 3 {
		r.append("rd-0001", event.AccessDenied)
	}
	r.settle()
	testsvc.Eventually(t, wait, "wang paged for the press", func() bool { return len(r.phones.of("wang")) == 1 })
	if n := len(r.cmds.all()); n == 0 {
		t.Fatal("the press strobed nothing")
	}
	r.stop(false) // killed: no snapshot at stop

	r = startRig(t, dir)
	defer r.stop(true)
	if got := r.cmds.all(); len(got) != 0 {
		t.Errorf("the replayed press sent %v again", got)
	}
	r.append("rd-0001", event.AccessDenied)
	r.settle()
	if n := len(r.alarms(rulefile.RuleDeniedBurst)); n != 0 {
		t.Fatalf("%d brute-force alarms after four denied cards", n)
	}
	r.append("rd-0001", event.AccessDenied)
	r.settle()
	if n := len(r.alarms(rulefile.RuleDeniedBurst)); n != 1 {
		t.Fatalf("%d brute-force alarms after five denied cards, want 1 (the three before the restart count)", n)
	}
	panics := r.alarms(rulefile.RulePanic)
	if len(panics) != 1 || panics[0].EventMS != press.TS {
		t.Fatalf("panic alarms after the restart: %+v, want the one of the press at %d", panics, press.TS)
	}
	for _, n := range r.phones.of("wang") {
		if n.AlarmID == panics[0].ID {
			t.Errorf("the settled press paged wang again: %+v", n)
		}
	}
}

// TestUnusableSnapshotIsSetAside: a snapshot ahead of the desk (the
// alarm store was replaced) or one that cannot be read is set aside as
// rules.state.bad, and the journal's events count once: three denied
// cards before the restart and two after raise exactly one alarm, on the
// fifth.
func TestUnusableSnapshotIsSetAside(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, dir string)
	}{
		{"ahead of the alarm store", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "alarms.db")); err != nil {
				t.Fatal(err)
			}
		}},
		{"damaged", func(t *testing.T, dir string) {
			bad := "{\"k\":\"gridwatch.rules.state\",\"v\":1}\n{not json\n"
			if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(bad), 0o600); err != nil {
				t.Fatal(err)
			}
			// The desk forgets the cards too, so that they are replayed.
			if err := os.Remove(filepath.Join(dir, "alarms.db")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r := startRig(t, dir)
			for range 3 {
				r.append("rd-0001", event.AccessDenied)
			}
			r.settle()
			r.stop(true)
			if _, err := os.Stat(filepath.Join(dir, stateFile)); err != nil {
				t.Fatalf("no snapshot at stop: %v", err)
			}
			tt.spoil(t, dir)

			r = startRig(t, dir)
			defer r.stop(true)
			if _, err := os.Stat(filepath.Join(dir, stateFile+".bad")); err != nil {
				t.Errorf("the unusable snapshot was not set aside: %v", err)
			}
			r.append("rd-0001", event.AccessDenied)
			r.settle()
			if n := len(r.alarms(rulefile.RuleDeniedBurst)); n != 0 {
				t.Fatalf("%d alarms on the fourth card (counted twice?)", n)
			}
			r.append("rd-0001", event.AccessDenied)
			r.settle()
			if n := len(r.alarms(rulefile.RuleDeniedBurst)); n != 1 {
				t.Fatalf("%d alarms on the fifth card, want 1", n)
			}
		})
	}
}

// TestReplayPointIsTheOlderOfDeskAndSnapshot: the journal must keep what
// either replay needs; before the first snapshot, everything.
func TestReplayPointIsTheOlderOfDeskAndSnapshot(t *testing.T) {
	tests := []struct {
		name        string
		desk, rules uint64
		want        uint64
	}{
		{"no snapshot yet", 40, 0, 0},
		{"rules behind the desk", 40, 12, 12},
		{"desk behind the rules", 9, 30, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Runner{desk: checkpointAt(tt.desk), state: &snapshots{}}
			r.state.saved.Store(tt.rules)
			if got := r.ReplayPoint(); got != tt.want {
				t.Errorf("ReplayPoint() = %d, want %d", got, tt.want)
			}
		})
	}
}

// checkpointAt is a desk that has stored everything up to its value.
type checkpointAt uint64

func (c checkpointAt) Checkpoint() uint64 { return uint64(c) }

func (c checkpointAt) WaitLoaded(context.Context) (uint64, error) { return uint64(c), nil }

func (c checkpointAt) Submit(context.Context, event.Event, []event.Trigger) error { return nil }
