package escalate

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

func TestRestartFiresOverdueStepOnceLate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "alarms.db")
		var lastID uint64
		notes := newNotifier()
		r := startRig(t, path, notes, &lastID)
		t0 := time.Now()
		press := r.send("lb-0001", event.ButtonPressed)
		if got := staffOf(notes.take()); !reflect.DeepEqual(got, []string{"chen", "room1", "wang"}) {
			t.Fatalf("step 0 paged %v", got)
		}
		id := r.only().ID
		advance(10 * time.Second)
		r.stop()
		if r.desk.Checkpoint() != press.ID {
			t.Fatalf("checkpoint on stop = %d, want %d", r.desk.Checkpoint(), press.ID)
		}

		// The gateway is down while step 1 falls due (t0+60s).
		advance(100 * time.Second)
		r = startRig(t, path, notes, &lastID)
		defer r.stop()
		if got, err := r.desk.WaitLoaded(context.Background()); got != press.ID || err != nil {
			t.Fatalf("checkpoint after restart = %d, %v, want %d", got, err, press.ID)
		}
		pages := notes.take()
		if got := staffOf(pages); !reflect.DeepEqual(got, []string{"li", "zhao"}) {
			t.Fatalf("after restart paged %v, want step 1 (li, zhao) only", got)
		}
		for _, p := range pages {
			if p.n.Step != 1 || !p.n.Late || p.n.AlarmID != id || p.n.RaisedMS != t0.UnixMilli() {
				t.Fatalf("overdue step notification = %+v", p.n)
			}
		}
		if got := r.metric(r.desk.m.steps.WithLabelValues("red", "1", "true")); got != 1 {
			t.Fatalf("late step metric = %v", got)
		}
		a := r.only()
		if last := a.Timeline[len(a.Timeline)-1]; last.Kind != alarm.EntryNotified || last.Step != 1 || !last.Late {
			t.Fatalf("timeline entry of the late step = %+v", last)
		}

		// Replaying the journal from before the checkpoint changes nothing.
		replay := press
		dev, _ := r.reg.Device(replay.Device)
		triggers := r.eng.Evaluate(&replay, dev, nil)
		if len(triggers) != 1 {
			t.Fatalf("replayed press makes %d triggers", len(triggers))
		}
		if err := r.desk.Submit(context.Background(), replay, triggers); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if a := r.only(); a.Count != 1 || len(notes.take()) != 0 {
			t.Fatalf("a replayed event was applied again: count %d", a.Count)
		}

		// Step 2 still fires on its own deadline (t0+180s), once, on time.
		advance(time.Until(t0.Add(180*time.Second)) - time.Second)
		if p := notes.take(); len(p) != 0 {
			t.Fatalf("paged %v before step 2 was due", staffOf(p))
		}
		advance(time.Second)
		pages = notes.take()
		if got := staffOf(pages); !reflect.DeepEqual(got, []string{"cmd1"}) || pages[0].n.Late || pages[0].n.DeadlineMS != 0 {
			t.Fatalf("step 2 = %v %+v", got, pages)
		}
		advance(time.Hour)
		if p := notes.take(); len(p) != 0 {
			t.Fatalf("paged %v after the last step", staffOf(p))
		}
	})
}

func TestRestartKeepsIDsUniqueAndJoinsOpenAlarm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "alarms.db")
		var lastID uint64
		notes := newNotifier()
		r := startRig(t, path, notes, &lastID)
		r.send("lb-0001", event.ButtonPressed)
		first := r.only().ID
		r.stop()

		r = startRig(t, path, notes, &lastID)
		defer r.stop()
		notes.take()
		// The open alarm survived: a new press joins it.
		r.send("lb-0001", event.ButtonPressed)
		if a := r.only(); a.ID != first || a.Count != 2 || len(notes.take()) != 0 {
			t.Fatalf("press after restart: %+v", a)
		}
		// A new alarm in the same millisecond as the old one still gets a
		// later id.
		r.send("lb-0002", event.ButtonPressed)
		open, _ := r.desk.List(alarm.Filter{})
		if len(open) != 2 || open[0].ID <= first {
			t.Fatalf("ids after restart: %v, first %s", open, first)
		}
	})
}

// TestReplayedRaiseKeepsItsAlarmID: pages go out before the store, so a
// crash can come after the first page and before the alarm is stored.
// The journal then replays the raise; the alarm must get the id the staff
// were paged with (made from the event's receive time, not from now), or
// their ack would not find it.
func TestReplayedRaiseKeepsItsAlarmID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ev := event.Event{ID: 7, Device: "lb-0001", Type: event.ButtonPressed, Source: event.SourceMQTT,
			TS: time.Now().UnixMilli(), Received: time.Now().UnixMilli()}
		raise := func(path string) string {
			var lastID uint64
			r := startRig(t, path, newNotifier(), &lastID)
			defer r.stop()
			dev, _ := r.reg.Device(ev.Device)
			e := ev
			if err := r.desk.Submit(context.Background(), e, r.eng.Evaluate(&e, dev, nil)); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			return r.only().ID
		}
		first := raise(filepath.Join(t.TempDir(), "before-the-crash.db"))
		advance(3 * time.Second) // the restart takes a while
		if again := raise(filepath.Join(t.TempDir(), "nothing-stored.db")); again != first {
			t.Fatalf("replayed raise got alarm id %s, the page said %s", again, first)
		}
	})
}
