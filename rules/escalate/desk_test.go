package escalate

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

func TestRedEscalatesStepByStepUntilAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		defer r.stop()
		t0 := time.Now()
		ev := r.send("lb-0001", event.ButtonPressed)

		// Step 0 at once: the grid members of the cell and the security
		// room of the nearest ancestor; not the leader or police yet.
		pages := r.notes.take()
		if got, want := staffOf(pages), []string{"chen", "room1", "wang"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("step 0 paged %v, want %v", got, want)
		}
		a := r.only()
		want := event.Notification{
			AlarmID: a.ID, Rule: rulefile.RulePanic, Severity: event.Red, Title: "莲花路12号 一键报警",
			Device: "lb-0001", DeviceName: "莲花路12号", Grid: "lh-g4-07", GridName: "莲花四级网格7",
			Location: &event.Location{Lat: 33.30, Lon: 111.49}, Step: 0, RaisedMS: t0.UnixMilli(),
			EventMS: ev.TS, DeadlineMS: t0.Add(60 * time.Second).UnixMilli(), Count: 1,
		}
		for _, p := range pages {
			want.PageID = PageID(a.ID, 0, p.staff) // one page per person and step
			if !reflect.DeepEqual(p.n, want) || !p.at.Equal(t0) {
				t.Fatalf("page to %s at %v = %+v\nwant %+v at %v", p.staff, p.at, p.n, want, t0)
			}
		}

		advance(59 * time.Second)
		if p := r.notes.take(); len(p) != 0 {
			t.Fatalf("paged %v before step 1 was due", staffOf(p))
		}
		advance(time.Second)
		pages = r.notes.take()
		if got, want := staffOf(pages), []string{"li", "zhao"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("step 1 paged %v, want %v", got, want)
		}
		if n := pages[0].n; n.Step != 1 || n.Late || n.DeadlineMS != t0.Add(180*time.Second).UnixMilli() {
			t.Fatalf("step 1 notification = %+v", n)
		}

		// The police officer acknowledges: escalation stops for good.
		got, err := r.desk.Act(context.Background(), event.Action{AlarmID: a.ID, Kind: event.Ack, By: "li", Channel: "mqtt", Note: "收到"})
		if err != nil {
			t.Fatal(err)
		}
		if got.State != alarm.Acknowledged || got.NextDeadlineMS != 0 {
			t.Fatalf("after ack: %+v", got)
		}
		advance(30 * time.Minute)
		if p := r.notes.take(); len(p) != 0 {
			t.Fatalf("step 2 fired after the ack: paged %v", staffOf(p))
		}

		// The board saw every change: raised (step 0 sent), step 1, ack.
		seen := r.board.take()
		var states []string
		for _, s := range seen {
			states = append(states, string(s.State)+"/"+strconv.Itoa(s.Step))
		}
		if want := []string{"open/0", "open/1", "acknowledged/1"}; !reflect.DeepEqual(states, want) {
			t.Fatalf("board saw %v, want %v", states, want)
		}

		// The store has it all, including the timeline, once acted on.
		stored, ok, err := r.store.Get(a.ID)
		if err != nil || !ok {
			t.Fatalf("store Get = %v, %v", ok, err)
		}
		var kinds []alarm.EntryKind
		for _, e := range stored.Timeline {
			kinds = append(kinds, e.Kind)
		}
		if want := []alarm.EntryKind{alarm.EntryRaised, alarm.EntryNotified, alarm.EntryNotified, alarm.EntryAck}; !reflect.DeepEqual(kinds, want) {
			t.Fatalf("stored timeline %v, want %v", kinds, want)
		}
		if ack := stored.Timeline[3]; ack.By != "li" || ack.Channel != "mqtt" || ack.Note != "收到" || ack.At != time.Now().Add(-30*time.Minute).UnixMilli() {
			t.Fatalf("ack entry = %+v", ack)
		}

		m := r.desk.m
		for _, c := range []struct {
			name string
			got  float64
			want float64
		}{
			{"raised red panic", r.metric(m.raised.WithLabelValues("red", "panic")), 1},
			{"open red", r.metric(m.open.WithLabelValues("red")), 1},
			{"step 0", r.metric(m.steps.WithLabelValues("red", "0", "false")), 1},
			{"step 1", r.metric(m.steps.WithLabelValues("red", "1", "false")), 1},
			{"step 2", r.metric(m.steps.WithLabelValues("red", "2", "false")), 0},
			{"pages ok", r.metric(m.notifications.WithLabelValues("mqtt", "ok")), 5},
		} {
			if c.got != c.want {
				t.Errorf("metric %s = %v, want %v", c.name, c.got, c.want)
			}
		}
	})
}

func TestRepeatTriggerJoinsWithoutPaging(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		defer r.stop()
		r.send("lb-0001", event.ButtonPressed)
		if n := len(r.notes.take()); n != 3 {
			t.Fatalf("first press paged %d people, want 3", n)
		}
		advance(10 * time.Second)
		second := r.send("lb-0001", event.ButtonPressed)
		if p := r.notes.take(); len(p) != 0 {
			t.Fatalf("repeat press paged %v again", staffOf(p))
		}
		a := r.only()
		last := a.Timeline[len(a.Timeline)-1]
		if a.Count != 2 || last.Kind != alarm.EntryJoined || last.EventID != second.ID {
			t.Fatalf("after repeat: count %d, last entry %+v", a.Count, last)
		}
		if seen := r.board.take(); len(seen) != 2 || seen[1].Count != 2 {
			t.Fatalf("board saw %d updates, want the raise and the join", len(seen))
		}
		if got := r.metric(r.desk.m.raised.WithLabelValues("red", "panic")); got != 1 {
			t.Fatalf("raised_total = %v, want 1", got)
		}
		// A press on another box is another alarm.
		r.send("lb-0002", event.ButtonPressed)
		if got := staffOf(r.notes.take()); !reflect.DeepEqual(got, []string{"room1", "sun"}) {
			t.Fatalf("press on lb-0002 paged %v", got)
		}
		// Step 1 of the first alarm carries the count.
		advance(50 * time.Second)
		for _, p := range r.notes.take() {
			if p.n.Count != 2 || p.n.Step != 1 || p.n.AlarmID != a.ID {
				t.Fatalf("step 1 notification = %+v", p.n)
			}
		}
	})
}

func TestClearTriggerClosesAlarm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		defer r.stop()
		r.send("lb-0001", event.TamperOpen)
		if got := staffOf(r.notes.take()); !reflect.DeepEqual(got, []string{"chen", "room1", "wang"}) {
			t.Fatalf("orange step 0 paged %v", got)
		}
		a := r.only()
		advance(time.Minute)
		closing := r.send("lb-0001", event.TamperClosed)

		open, err := r.desk.List(alarm.Filter{})
		if err != nil || len(open) != 0 {
			t.Fatalf("open after clear = %v, %v", open, err)
		}
		got, ok, err := r.desk.Get(a.ID)
		if err != nil || !ok || got.State != alarm.Cleared || got.ClosedMS != time.Now().UnixMilli() ||
			got.Timeline[len(got.Timeline)-1].EventID != closing.ID {
			t.Fatalf("Get after clear = %+v, %v, %v", got, ok, err)
		}
		if seen := r.board.take(); len(seen) != 2 || seen[1].State != alarm.Cleared {
			t.Fatalf("board saw %+v, want raise then cleared", seen)
		}
		advance(checkpointEvery) // the clear is stored
		r.desk.view.mu.RLock()
		held := len(r.desk.view.alarms)
		r.desk.view.mu.RUnlock()
		if held != 0 {
			t.Fatalf("the desk still holds %d alarms in memory after the clear was stored", held)
		}
		if g := r.metric(r.desk.m.open.WithLabelValues("orange")); g != 0 {
			t.Fatalf("alarms_open{orange} = %v", g)
		}
		advance(20 * time.Minute)
		if p := r.notes.take(); len(p) != 0 {
			t.Fatalf("a cleared alarm escalated: %v", staffOf(p))
		}
		// A clear with nothing open does nothing; a new tamper is a new alarm.
		r.send("lb-0001", event.TamperClosed)
		r.send("lb-0001", event.TamperOpen)
		if n := r.only(); n.ID == a.ID || len(r.notes.take()) != 3 {
			t.Fatalf("new tamper after clear: %+v", n)
		}
	})
}

func TestListAndGet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		defer r.stop()
		r.send("lb-0001", event.ButtonPressed)
		advance(time.Second)
		r.send("lb-0002", event.PowerMainsLost)
		advance(time.Second)
		r.send("lb-0001", event.BatteryLow)
		all, err := r.desk.List(alarm.Filter{State: alarm.FilterAll})
		if err != nil || len(all) != 3 {
			t.Fatalf("List(all) = %d, %v", len(all), err)
		}
		panicID, mainsID := all[2].ID, all[1].ID
		if _, err := r.desk.Act(context.Background(), event.Action{AlarmID: panicID, Kind: event.Resolve, By: "wang"}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			f    alarm.Filter
			want []string
		}{
			{alarm.Filter{}, []string{all[0].ID, mainsID}},
			{alarm.Filter{State: alarm.FilterAll}, []string{all[0].ID, mainsID, panicID}},
			{alarm.Filter{State: alarm.FilterAll, Grid: "lh-g4-07"}, []string{all[0].ID, panicID}},
			{alarm.Filter{State: alarm.FilterAll, Limit: 1}, []string{all[0].ID}},
			{alarm.Filter{Grid: "lh-g4-08"}, []string{mainsID}},
		}
		for _, tt := range tests {
			got, err := r.desk.List(tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, a := range got {
				ids = append(ids, a.ID)
			}
			if !reflect.DeepEqual(ids, tt.want) {
				t.Errorf("List(%+v) = %v, want %v", tt.f, ids, tt.want)
			}
		}
		if _, err := r.desk.List(alarm.Filter{State: "closed"}); err == nil {
			t.Error("List accepted state=closed")
		}
		got, ok, err := r.desk.Get(panicID)
		if err != nil || !ok || got.State != alarm.Resolved {
			t.Fatalf("Get(resolved) = %+v, %v, %v", got, ok, err)
		}
		// Copies out: changing one changes nothing inside.
		got, _, _ = r.desk.Get(mainsID)
		got.Timeline[0].Kind = "tampered"
		again, _, _ := r.desk.Get(mainsID)
		if again.Timeline[0].Kind != alarm.EntryRaised {
			t.Fatal("Get handed out the desk's own timeline")
		}
		if _, ok, err := r.desk.Get("A-none"); ok || err != nil {
			t.Fatalf("Get(unknown) = %v, %v", ok, err)
		}
	})
}

func TestMergePrefersMemory(t *testing.T) {
	older := &alarm.Alarm{ID: "A1", RaisedMS: 1000, State: alarm.Open}
	newer := &alarm.Alarm{ID: "A1", RaisedMS: 1000, State: alarm.Acknowledged}
	fresh := &alarm.Alarm{ID: "A3", RaisedMS: 3000, State: alarm.Open}
	closed := &alarm.Alarm{ID: "A2", RaisedMS: 2000, State: alarm.Resolved}
	got := merge([]*alarm.Alarm{fresh, newer}, []*alarm.Alarm{closed, older})
	if len(got) != 3 || got[0] != fresh || got[1] != closed || got[2] != newer {
		t.Fatalf("merge = %+v", got)
	}
}

func TestAlarmOnDeviceMissingFromRegistry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		defer r.stop()
		// A trigger made without its event still gets the event's time.
		ev := event.Event{ID: 1, Device: "lb-9999", Type: event.ButtonDuress, TS: 12345}
		tr := event.Trigger{Rule: rulefile.RuleDuress, Severity: event.Red, Title: "lb-9999 胁迫报警", Device: "lb-9999"}
		if err := r.desk.Submit(context.Background(), ev, []event.Trigger{tr}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		a := r.only()
		if a.Grid != "" || a.EventMS != 12345 || a.Step != 0 || len(a.Notified) != 0 || len(r.notes.take()) != 0 {
			t.Fatalf("alarm on an unknown device = %+v", a)
		}
		// Anyone in the registry who serves some cell still cannot act on
		// it, but the local console can.
		if _, err := r.desk.Act(context.Background(), event.Action{AlarmID: a.ID, Kind: event.Ack, By: "cmd1"}); !errors.Is(err, ErrForbidden) {
			t.Fatalf("Act = %v", err)
		}
		if _, err := r.desk.ActAs(context.Background(), permit.Console, event.Action{AlarmID: a.ID, Kind: event.Resolve}); err != nil {
			t.Fatal(err)
		}
	})
}
