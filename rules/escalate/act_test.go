package escalate

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

func TestActAuthorisationAndTransitions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		defer r.stop()
		r.send("lb-0001", event.ButtonPressed) // pages wang, chen, room1
		id := r.only().ID
		ctx := context.Background()
		steps := []struct {
			name      string
			kind      event.ActionKind
			by        string
			console   bool
			alarmID   string
			wantErr   error
			wantState alarm.State
		}{
			{"grid member of another cell", event.Ack, "sun", false, id, ErrForbidden, ""},
			{"unknown staff", event.Ack, "ghost", false, id, ErrForbidden, ""},
			{"nobody", event.Ack, "", false, id, ErrForbidden, ""},
			{"off-tree command centre", event.Ack, "duty", false, id, ErrForbidden, ""},
			{"unknown action", "escalate", "wang", false, id, alarm.ErrAction, ""},
			{"unknown alarm", event.Ack, "wang", false, "A0000000000000", ErrNotFound, ""},
			{"leader of the cell, not paged yet", event.Ack, "zhao", false, id, nil, alarm.Acknowledged},
			{"ack twice", event.Ack, "wang", false, id, alarm.ErrTransition, ""},
			{"command centre above the cell", event.Arrive, "cmd1", false, id, nil, alarm.OnScene},
			{"still not the other cell", event.Resolve, "sun", false, id, ErrForbidden, ""},
			{"paged grid member resolves", event.Resolve, "wang", false, id, nil, alarm.Resolved},
			{"closed alarm", event.Ack, "wang", false, id, alarm.ErrTransition, ""},
			{"closed alarm, the console", event.Resolve, "", true, id, alarm.ErrTransition, ""},
			{"closed alarm, someone else", event.Ack, "sun", false, id, ErrForbidden, ""},
		}
		for _, s := range steps {
			act := event.Action{AlarmID: s.alarmID, Kind: s.kind, By: s.by, Channel: "http"}
			var got alarm.Alarm
			var err error
			if s.console {
				got, err = r.desk.ActAs(ctx, permit.Console, act)
			} else {
				got, err = r.desk.Act(ctx, act)
			}
			if !errors.Is(err, s.wantErr) {
				t.Fatalf("%s: err = %v, want %v", s.name, err, s.wantErr)
			}
			if s.wantErr == nil && (got.State != s.wantState || got.Timeline[len(got.Timeline)-1].By != s.by) {
				t.Fatalf("%s: alarm = %+v", s.name, got)
			}
		}
		// The store has the resolved alarm, out of the open index.
		open, _, err := r.store.Load()
		if err != nil || len(open) != 0 {
			t.Fatalf("store still holds open alarms: %v, %v", open, err)
		}

		// The local console may act without being paged or serving the cell.
		r.send("lb-0002", event.ButtonPressed)
		got, err := r.desk.ActAs(ctx, permit.Console, event.Action{AlarmID: r.only().ID, Kind: event.Ack, Channel: "http"})
		if err != nil || got.State != alarm.Acknowledged || got.Timeline[len(got.Timeline)-1].At != time.Now().UnixMilli() {
			t.Fatalf("console ack = %+v, %v", got, err)
		}
	})
}

func TestNamedStaffArePagedOnceAndMayAct(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pol := DefaultPolicies()
		pol[event.Red] = Policy{Steps: []Step{
			{After: 0, Roles: []registry.Role{registry.GridMember}, Staff: []string{"duty", "wang", "ghost"}},
			{After: time.Minute, Roles: []registry.Role{registry.GridMember, registry.SecurityRoom}, Staff: []string{"duty"}},
		}}
		r := newRig(t, func(c *Config) { c.Policies = pol })
		defer r.stop()
		r.send("lb-0001", event.ButtonPressed)
		if got := staffOf(r.notes.take()); !equal(got, "chen", "duty", "wang") {
			t.Fatalf("step 0 paged %v", got)
		}
		advance(time.Minute)
		if got := staffOf(r.notes.take()); !equal(got, "room1") {
			t.Fatalf("step 1 paged %v, want only the one not paged before", got)
		}
		// duty serves another tree but was paged for this alarm.
		if _, err := r.desk.Act(context.Background(), event.Action{AlarmID: r.only().ID, Kind: event.Ack, By: "duty"}); err != nil {
			t.Fatal(err)
		}
	})
}

func equal(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestActWaitsAreBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, err := New(Config{Registry: registry.Empty, Notifier: newNotifier(), Store: &alarm.Store{}})
		if err != nil {
			t.Fatal(err)
		}
		// Not running: Act gives up with the caller's context.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := d.Act(ctx, event.Action{AlarmID: "A1", Kind: event.Ack, By: "wang"}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Act on a desk not running = %v", err)
		}
		if _, err := d.List(alarm.Filter{}); !errors.Is(err, ErrNotReady) {
			t.Fatalf("List before Run = %v", err)
		}
		if _, _, err := d.Get("A1"); !errors.Is(err, ErrNotReady) {
			t.Fatalf("Get before Run = %v", err)
		}
	})
}
