package escalate

import (
	"context"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

func TestFailedPageIsRetriedWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		defer r.stop()
		r.notes.setFail("room1", 2)
		t0 := time.Now()
		r.send("lb-0001", event.ButtonPressed)
		if got := staffOf(r.notes.take()); !equal(got, "chen", "wang") {
			t.Fatalf("step 0 delivered to %v", got)
		}
		if a := r.only(); a.Undelivered["room1"] != 0 || len(a.Undelivered) != 1 {
			t.Fatalf("undelivered = %v", a.Undelivered)
		}
		advance(2 * time.Second) // first retry fails too
		if r.notes.triesOf("room1") != 2 || len(r.notes.take()) != 0 {
			t.Fatalf("tries after 2s = %d", r.notes.triesOf("room1"))
		}
		advance(4 * time.Second) // second retry gets through
		pages := r.notes.take()
		if len(pages) != 1 || pages[0].staff != "room1" || pages[0].n.Step != 0 || !pages[0].n.Late ||
			!pages[0].at.Equal(t0.Add(6*time.Second)) {
			t.Fatalf("retry pages = %+v", pages)
		}
		if a := r.only(); len(a.Undelivered) != 0 {
			t.Fatalf("still undelivered: %v", a.Undelivered)
		}
		// The board saw the raise (room1 undelivered) and the delivery, not
		// every failed try.
		if seen := r.board.take(); len(seen) != 2 || seen[0].Undelivered["room1"] != 0 || len(seen[1].Undelivered) != 0 {
			t.Fatalf("board saw %d updates: %+v", len(seen), seen)
		}
		m := r.desk.m.notifications
		if ok, bad := r.metric(m.WithLabelValues("mqtt", "ok")), r.metric(m.WithLabelValues("mqtt", "error")); ok != 3 || bad != 2 {
			t.Fatalf("notifications ok=%v error=%v, want 3 and 2", ok, bad)
		}
		advance(time.Hour)
		if n := r.notes.triesOf("room1"); n != 3 {
			t.Fatalf("room1 tried %d times, want 3", n)
		}
	})
}

func TestRetriesAreBoundedAndStopOnAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		defer r.stop()
		r.notes.setFail("room1", -1)
		r.send("lb-0001", event.BatteryLow) // blue: security room only, no later step
		advance(24 * time.Hour)
		if n := r.notes.triesOf("room1"); n != maxAttempts {
			t.Fatalf("a page that never gets through was tried %d times, want %d", n, maxAttempts)
		}
		if a := r.only(); len(a.Undelivered) != 0 {
			t.Fatalf("given-up page still listed: %v", a.Undelivered)
		}

		r.notes.setFail("wang", -1)
		r.send("lb-0001", event.ButtonPressed)
		open, _ := r.desk.List(alarm.Filter{})
		var redID string
		for _, a := range open {
			if a.Severity == event.Red {
				redID = a.ID
			}
		}
		if _, err := r.desk.Act(context.Background(), event.Action{AlarmID: redID, Kind: event.Ack, By: "room1"}); err != nil {
			t.Fatal(err)
		}
		tries := r.notes.triesOf("wang")
		advance(time.Hour)
		if n := r.notes.triesOf("wang"); n != tries {
			t.Fatalf("retries went on after the ack: %d tries, then %d", tries, n)
		}
	})
}

func TestUndeliveredPageSurvivesRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "alarms.db")
		var lastID uint64
		notes := newNotifier()
		notes.setFail("room1", -1)
		r := startRig(t, path, notes, &lastID)
		r.send("lb-0001", event.ButtonPressed)
		r.stop()
		notes.take()
		notes.setFail("room1", 0)

		r = startRig(t, path, notes, &lastID)
		defer r.stop()
		pages := notes.take()
		if len(pages) != 1 || pages[0].staff != "room1" || pages[0].n.Step != 0 {
			t.Fatalf("after restart paged %+v, want the undelivered room1 page", pages)
		}
		if a := r.only(); len(a.Undelivered) != 0 {
			t.Fatalf("undelivered after retry: %v", a.Undelivered)
		}
	})
}
