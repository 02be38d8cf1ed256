package escalate

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// tracker is a notifier that is also a PageTracker: it notes, at each
// Sync, whether the store already held the alarms it paged for (it must
// not: pages are made durable before the alarms that sent them).
type tracker struct {
	*notifier
	store func() *alarm.Store

	mu      sync.Mutex
	synced  int
	early   []string // alarms already stored at a Sync that covered their pages
	closed  []string
	pending []string // alarms paged since the last Sync
}

func (tr *tracker) Notify(ctx context.Context, staff string, n event.Notification) error {
	tr.mu.Lock()
	tr.pending = append(tr.pending, n.AlarmID)
	tr.mu.Unlock()
	return tr.notifier.Notify(ctx, staff, n)
}

func (tr *tracker) Sync(context.Context) error {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.synced++
	for _, id := range tr.pending {
		if _, ok, _ := tr.store().Get(id); ok {
			tr.early = append(tr.early, id)
		}
	}
	tr.pending = nil
	return nil
}

func (tr *tracker) AlarmClosed(id string) {
	tr.mu.Lock()
	tr.closed = append(tr.closed, id)
	tr.mu.Unlock()
}

// TestDeskRecordsPageOutcomes: each page of a step has its own id and
// shows on the alarm as queued; the ledger's news (delivered, fallen back)
// goes on the alarm's pages and timeline through the desk; pages are made
// durable before the alarm is stored; a closed alarm's pages are given up.
func TestDeskRecordsPageOutcomes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r *rig
		tr := &tracker{notifier: newNotifier(), store: func() *alarm.Store { return r.store }}
		r = newRig(t, func(c *Config) { c.Notifier = tr })
		defer r.stop()
		r.send("lb-0001", event.ButtonPressed)
		a := r.only()
		var ids []string
		for _, p := range a.Pages {
			if p.State != event.PageQueued || p.Step != 0 || p.Channel != event.PageApp || p.ID != PageID(a.ID, 0, p.Staff) {
				t.Errorf("page %+v, want queued on the app with its id", p)
			}
			ids = append(ids, p.Staff)
		}
		if got, want := ids, staffOf(tr.take()); !slices.Equal(slices.Sorted(slices.Values(got)), want) {
			t.Fatalf("pages on the alarm %v, paged %v", got, want)
		}
		advance(checkpointEvery) // the alarm is stored
		tr.mu.Lock()
		if tr.synced == 0 || len(tr.early) > 0 {
			t.Errorf("synced %d times; alarms stored before their pages were durable: %v", tr.synced, tr.early)
		}
		tr.mu.Unlock()

		now := time.Now().UnixMilli()
		for _, rep := range []event.PageReport{
			{PageID: PageID(a.ID, 0, "wang"), AlarmID: a.ID, Staff: "wang", Step: 0, Channel: event.PageApp, State: event.PageDelivered, AtMS: now},
			{PageID: PageID(a.ID, 0, "wang"), AlarmID: a.ID, Staff: "wang", Step: 0, Channel: event.PageApp, State: event.PageDelivered, AtMS: now}, // again after a restart
			{PageID: PageID(a.ID, 0, "room1"), AlarmID: a.ID, Staff: "room1", Step: 0, Channel: event.PageSMS, State: event.PageFallenBack, AtMS: now},
		} {
			if err := r.desk.Report(context.Background(), rep); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		a = r.only()
		var kinds []string
		for _, e := range a.Timeline {
			if e.Kind == alarm.EntryDelivered || e.Kind == alarm.EntryFallback {
				kinds = append(kinds, string(e.Kind)+":"+e.By+":"+e.Channel)
			}
		}
		if want := []string{"delivered:wang:app", "fallback:room1:sms"}; !slices.Equal(kinds, want) {
			t.Errorf("timeline %v, want %v", kinds, want)
		}
		states := map[string]event.PageState{}
		for _, p := range a.Pages {
			states[p.Staff] = p.State
		}
		if states["wang"] != event.PageDelivered || states["room1"] != event.PageFallenBack || states["chen"] != event.PageQueued {
			t.Errorf("page states %v", states)
		}
		advance(2 * checkpointEvery) // stored within a second
		if stored, _, _ := r.store.Get(a.ID); len(stored.Pages) != len(a.Pages) || stored.Pages[0].State == "" {
			t.Errorf("stored pages %+v", stored.Pages)
		}
		if _, err := r.desk.Act(context.Background(), event.Action{AlarmID: a.ID, Kind: event.Resolve, By: "wang"}); err != nil {
			t.Fatal(err)
		}
		tr.mu.Lock()
		if !slices.Equal(tr.closed, []string{a.ID}) {
			t.Errorf("closed alarms told to the ledger: %v", tr.closed)
		}
		tr.mu.Unlock()
	})
}
