package escalate

import (
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

func testPress(title string) event.Trigger {
	return event.Trigger{Rule: "panic", Severity: event.Red, Title: title, Device: "lb-0001", Muted: "test: 安装调试", Test: true}
}

func realPress() event.Trigger {
	return event.Trigger{Rule: "panic", Severity: event.Red, Title: "真的", Device: "lb-0001"}
}

// closedAlarm reads a closed alarm from the store.
func (r *rig) closedAlarm(id string) alarm.Alarm {
	r.t.Helper()
	advance(checkpointEvery) // the desk stores a close within it
	a, ok, err := r.store.Get(id)
	if err != nil || !ok {
		r.t.Fatalf("alarm %s: %v %v", id, ok, err)
	}
	return *a
}

// TestTestAlarmClosesItself: a test-mode raise is recorded, pages nobody,
// and closes by itself TestCloseAfter after it was raised.
func TestTestAlarmClosesItself(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		defer r.stop()
		r.submitTrigger(testPress("测试"))
		a := r.only()
		if !a.Test || a.Muted == "" || a.Step != -1 {
			t.Fatalf("test alarm: %+v", a)
		}
		advance(TestCloseAfter - time.Second)
		if r.only().State != alarm.Open {
			t.Fatal("the test alarm closed early")
		}
		advance(2 * time.Second)
		if open, _ := r.desk.List(alarm.Filter{}); len(open) != 0 {
			t.Fatalf("test alarm still open after %v: %+v", TestCloseAfter, open)
		}
		got := r.closedAlarm(a.ID)
		last := got.Timeline[len(got.Timeline)-1]
		if got.State != alarm.Cleared || last.Kind != alarm.EntryCleared || !strings.Contains(last.Note, "test ended: closed after 2m0s") {
			t.Fatalf("closed test alarm: state %s, last entry %+v", got.State, last)
		}
		if pages := r.notes.take(); len(pages) != 0 {
			t.Fatalf("a test alarm paged %v", staffOf(pages))
		}
	})
}

// TestRealPressAfterTestPressOpensItsOwnAlarm: a real press never joins
// an open test alarm: the test alarm closes and the real one opens on its
// own, paged at once and escalated from its own time. A test press on an
// open real alarm joins it and changes nothing of its escalation.
func TestRealPressAfterTestPressOpensItsOwnAlarm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		defer r.stop()
		r.submitTrigger(testPress("测试"))
		test := r.only()
		advance(40 * time.Second)

		r.submitTrigger(realPress())
		real := r.only()
		if real.ID == test.ID || real.Test || real.Muted != "" || real.Count != 1 {
			t.Fatalf("the real press did not open its own alarm: %+v", real)
		}
		if want := test.RaisedMS + 40_000; real.RaisedMS != want {
			t.Fatalf("real alarm raised at %d, want its own press's time %d", real.RaisedMS, want)
		}
		if got := staffOf(r.notes.take()); !equal(got, "chen", "room1", "wang") {
			t.Fatalf("the real alarm's step 0 paged %v", got)
		}
		closed := r.closedAlarm(test.ID)
		if closed.State != alarm.Cleared || !strings.Contains(closed.Timeline[len(closed.Timeline)-1].Note, "a real trigger arrived") {
			t.Fatalf("test alarm after the real press: %+v", closed)
		}

		advance(30 * time.Second) // 70 s after the test press, 30 s after the real one
		r.submitTrigger(testPress("再测"))
		if a := r.only(); a.ID != real.ID || a.Count != 2 || a.Test || a.Muted != "" {
			t.Fatalf("a test press on the real alarm: %+v", a)
		}
		if pages := r.notes.take(); len(pages) != 0 {
			t.Fatalf("step 1 went out %v before its time (timed from the test press?)", staffOf(pages))
		}
		advance(31 * time.Second) // step 1 is 60 s after the real press
		if got := staffOf(r.notes.take()); !equal(got, "li", "zhao") {
			t.Fatalf("step 1 paged %v", got)
		}
		advance(TestCloseAfter) // the real alarm is never closed as a test
		if a := r.only(); a.ID != real.ID || a.State != alarm.Open {
			t.Fatalf("real alarm: %+v", a)
		}
	})
}

// TestTestAlarmClosesAfterRestart: a test alarm still open when the
// gateway stopped closes when it starts again past its time.
func TestTestAlarmClosesAfterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "alarms.db")
		var lastID uint64
		notes := newNotifier()
		r := startRig(t, path, notes, &lastID)
		r.submitTrigger(testPress("测试"))
		id := r.only().ID
		r.stop()

		time.Sleep(TestCloseAfter + time.Minute)
		r = startRig(t, path, notes, &lastID)
		defer r.stop()
		if open, _ := r.desk.List(alarm.Filter{}); len(open) != 0 {
			t.Fatalf("test alarm still open after a restart past its time: %+v", open)
		}
		if a := r.closedAlarm(id); a.State != alarm.Cleared {
			t.Fatalf("test alarm: %+v", a)
		}
	})
}
