package runner

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// stuckLedger is the delivery ledger as the desk sees it: pages go out at
// once (to the phones), and its write to disk (Sync) never finishes
// before the process is killed.
type stuckLedger struct {
	*phones
	syncing chan struct{} // closed at the first Sync
	killed  chan struct{}
	once    sync.Once
}

func (s *stuckLedger) Sync(context.Context) error {
	s.once.Do(func() { close(s.syncing) })
	<-s.killed
	return errors.New("killed")
}

func (s *stuckLedger) AlarmClosed(string) {}

// pageIDs is every page the phones got, by page id, with its alarm.
func pageIDs(p *phones) map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]string{}
	for _, ns := range p.pages {
		for _, n := range ns {
			out[n.PageID] = n.AlarmID
		}
	}
	return out
}

// TestKilledAfterPageBeforeStore: the desk pages a press at once and
// stores the alarm and the page ledger after, on its writer. The gateway
// is killed in that window: the pages went out, neither the ledger nor
// the alarm store has them, and the desk's checkpoint does not claim the
// press. At the next start the journal's replay raises the alarm again
// and pages again (at least once) with the same alarm id and the same
// page ids, so the phones' receipts still match; a third start pages
// nobody.
func TestKilledAfterPageBeforeStore(t *testing.T) {
	dir := t.TempDir()
	ledger := &stuckLedger{phones: &phones{}, syncing: make(chan struct{}), killed: make(chan struct{})}
	r := startRigPaging(t, dir, ledger)
	press := r.append("lb-0001", event.ButtonPressed)
	testsvc.Eventually(t, wait, "wang paged for the press", func() bool { return len(ledger.of("wang")) == 1 })
	<-ledger.syncing
	before := pageIDs(ledger.phones)
	if ck := r.desk.Checkpoint(); ck >= press.ID {
		t.Fatalf("checkpoint %d claims the press (%d) before its alarm is stored", ck, press.ID)
	}

	// kill -9, as far as the desk goes: nothing it has not stored yet
	// reaches the disk.
	r.cancel()
	close(ledger.killed)
	r.done.Wait()
	if err := r.journal.Close(); err != nil {
		t.Error(err)
	}
	stored, err := r.store.List(alarm.Filter{State: alarm.FilterAll})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.store.Close(); err != nil {
		t.Error(err)
	}
	if len(stored) != 0 {
		t.Fatalf("the case needs the alarm unstored at the kill; stored %+v", stored)
	}

	for start := 2; start <= 3; start++ {
		r = startRig(t, dir)
		r.settle()
		panics := r.alarms(rulefile.RulePanic)
		if len(panics) != 1 || panics[0].EventMS != press.TS {
			t.Fatalf("start %d: panic alarms %+v, want the one of the acknowledged press", start, panics)
		}
		if start == 2 {
			testsvc.Eventually(t, wait, "paged again for the press", func() bool { return len(pageIDs(r.phones)) == len(before) })
			if after := pageIDs(r.phones); !maps.Equal(after, before) {
				t.Errorf("pages after the restart %v, want the same pages as before the kill %v",
					slices.Sorted(maps.Keys(after)), slices.Sorted(maps.Keys(before)))
			}
			if id := panics[0].ID; before[slices.Sorted(maps.Keys(before))[0]] != id {
				t.Errorf("alarm %s after the restart, pages before the kill were of %v", id, before)
			}
		} else if p := pageIDs(r.phones); len(p) != 0 {
			t.Errorf("start 3: paged again: %v", p)
		}
		r.stop(true)
	}
}
