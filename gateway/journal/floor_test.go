package journal

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// reservations is an Options.Reserve that remembers what it was given.
type reservations struct{ got []uint64 }

func (r *reservations) reserve(through uint64) error {
	r.got = append(r.got, through)
	return nil
}

func (r *reservations) last() uint64 { return r.got[len(r.got)-1] }

// TestLostJournalContinuesAboveApplied is issue 11's hole 5 at the
// journal: the alarm store applied events up to 20, then the journal lost
// them (deleted, or its tail cut). Its IDs must go on above 20 — before,
// they restarted at 1 and the desk skipped the next 20 presses as already
// handled — and the loss is logged as an error and counted.
func TestLostJournalContinuesAboveApplied(t *testing.T) {
	tests := []struct {
		name     string
		damage   func(t *testing.T, dir string)
		lost     float64
		wantLogs []string
	}{
		{"directory deleted", func(t *testing.T, dir string) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
		}, 20, []string{"level=ERROR", "JOURNAL LOST", "lost_events=20"}},
		{"tail cut mid-line", func(t *testing.T, dir string) {
			seg := filepath.Join(dir, segmentName(1))
			b, err := os.ReadFile(seg)
			if err != nil {
				t.Fatal(err)
			}
			// Keep 12 whole lines and half of the 13th.
			end := 0
			for range 12 {
				end += bytes.IndexByte(b[end:], '\n') + 1
			}
			end += 20
			if err := os.Truncate(seg, int64(end)); err != nil {
				t.Fatal(err)
			}
		}, 8, []string{"level=ERROR", "ACKNOWLEDGED", "JOURNAL LOST ITS TAIL", "lost_events=8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "journal")
			j := mustOpen(t, dir, Options{})
			appendN(t, j, 0, 20)
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			tt.damage(t, dir)

			var logs bytes.Buffer
			reg := prometheus.NewRegistry()
			j = mustOpen(t, dir, Options{Applied: 20, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Registerer: reg})
			for _, want := range tt.wantLogs {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("logs lack %q:\n%s", want, logs.String())
				}
			}
			if got := metric(t, reg, "gridwatch_journal_lost_events_total"); got != tt.lost {
				t.Errorf("lost_events_total = %v, want %v", got, tt.lost)
			}
			if got := appendN(t, j, 100, 1)[0].ID; got != 21 {
				t.Fatalf("first ID after the loss = %d, want 21 (above the alarm store's 20)", got)
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			j = mustOpen(t, dir, Options{Applied: 21})
			if got := ids(replayAll(t, j, 20)); !slices.Equal(got, []uint64{21}) {
				t.Errorf("replay after 20 = %v, want [21]", got)
			}
		})
	}
}

// TestReservedIDsAreNeverReused: IDs handed out beyond the alarm store's
// checkpoint (not yet applied when the journal was lost) are not handed
// out again, because the journal reserves them first.
func TestReservedIDsAreNeverReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "journal")
	var r reservations
	j := mustOpen(t, dir, Options{Reserve: r.reserve})
	if want := []uint64{ReserveBlock}; !slices.Equal(r.got, want) {
		t.Fatalf("reservations at Open %v, want %v", r.got, want)
	}
	appendN(t, j, 0, 5)
	// Killed: no Close, so the reservation stands. The journal is lost.
	j.closeFiles()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	j = mustOpen(t, dir, Options{Applied: 3, Reserved: r.last(), Reserve: r.reserve})
	if got := appendN(t, j, 0, 1)[0].ID; got != ReserveBlock+1 {
		t.Fatalf("first ID = %d, want %d (above the reservation)", got, ReserveBlock+1)
	}
	if got, want := r.last(), uint64(2*ReserveBlock); got != want {
		t.Fatalf("reserved through %d, want %d", got, want)
	}

	// A clean Close gives back what was not handed out: the next start
	// goes on without a gap.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if got := r.last(); got != ReserveBlock+1 {
		t.Fatalf("reservation after Close = %d, want %d", got, ReserveBlock+1)
	}
	j = mustOpen(t, dir, Options{Applied: 3, Reserved: r.last(), Reserve: r.reserve})
	if got := appendN(t, j, 0, 1)[0].ID; got != ReserveBlock+2 {
		t.Fatalf("first ID after a clean restart = %d, want %d", got, ReserveBlock+2)
	}
}

// TestReservationCrossedMidRun: a batch past the reservation reserves the
// next block before it is written.
func TestReservationCrossedMidRun(t *testing.T) {
	dir := t.TempDir()
	var r reservations
	j := mustOpen(t, dir, Options{Reserved: ReserveBlock - 2, Reserve: r.reserve})
	// Open reserved ReserveBlock-1 + ReserveBlock; pretend it reserved less.
	j.reserved = ReserveBlock
	appendN(t, j, 0, 2) // IDs ReserveBlock-1, ReserveBlock
	if len(r.got) != 1 {
		t.Fatalf("reserved again within the block: %v", r.got)
	}
	ev := appendN(t, j, 2, 1)[0]
	if got, want := r.last(), ev.ID+ReserveBlock; got != want {
		t.Fatalf("reserved through %d after ID %d, want %d", got, ev.ID, want)
	}
}

// TestFailedReservationNeverRefusesEvents: when the alarm store cannot
// store a reservation (its disk is full), events are still journaled and
// the reservation is retried with the next batch.
func TestFailedReservationNeverRefusesEvents(t *testing.T) {
	var logs bytes.Buffer
	fail := true
	var got []uint64
	reserve := func(through uint64) error {
		if fail {
			return errors.New("no space left on device")
		}
		got = append(got, through)
		return nil
	}
	j := mustOpen(t, t.TempDir(), Options{Reserve: reserve, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	appendN(t, j, 0, 3)
	if n := strings.Count(logs.String(), "event IDs not reserved"); n != 1 {
		t.Errorf("failure logged %d times, want once:\n%s", n, logs.String())
	}
	fail = false
	appendN(t, j, 3, 1)
	if want := []uint64{4 + ReserveBlock}; !slices.Equal(got, want) {
		t.Fatalf("reservations %v, want %v", got, want)
	}
}
