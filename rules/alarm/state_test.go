package alarm

import (
	"errors"
	"reflect"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
)

func pressTrigger(id uint64) event.Trigger {
	return event.Trigger{
		Rule: "panic", Severity: event.Red, Title: "莲花路12号 一键报警", Device: "lb-0001",
		Event: event.Event{ID: id, Device: "lb-0001", Type: event.ButtonPressed, TS: 900},
	}
}

func TestRaise(t *testing.T) {
	loc := &event.Location{Lat: 33.3, Lon: 111.49}
	a := Raise("A1", pressTrigger(7), "lh-g4-07", loc, 1000)
	loc.Lat = 0 // the alarm keeps its own copy
	if a.State != Open || a.Count != 1 || a.Step != -1 || a.RaisedMS != 1000 || a.EventMS != 900 ||
		a.Grid != "lh-g4-07" || a.Location.Lat != 33.3 || a.Rule != "panic" || a.Severity != event.Red {
		t.Fatalf("Raise = %+v", a)
	}
	if len(a.Timeline) != 1 || !reflect.DeepEqual(a.Timeline[0], Entry{At: 1000, Kind: EntryRaised, EventID: 7}) {
		t.Fatalf("timeline = %+v", a.Timeline)
	}
	if !a.Escalating() {
		t.Fatal("a new alarm must escalate")
	}
}

func TestApply(t *testing.T) {
	tests := []struct {
		from    State
		kind    event.ActionKind
		want    State
		wantErr error
	}{
		{Open, event.Ack, Acknowledged, nil},
		{Open, event.Arrive, OnScene, nil},
		{Open, event.Resolve, Resolved, nil},
		{Acknowledged, event.Arrive, OnScene, nil},
		{Acknowledged, event.Resolve, Resolved, nil},
		{OnScene, event.Resolve, Resolved, nil},
		{Acknowledged, event.Ack, Acknowledged, ErrTransition},
		{OnScene, event.Ack, OnScene, ErrTransition},
		{OnScene, event.Arrive, OnScene, ErrTransition},
		{Resolved, event.Ack, Resolved, ErrTransition},
		{Resolved, event.Resolve, Resolved, ErrTransition},
		{Cleared, event.Arrive, Cleared, ErrTransition},
		{Cleared, event.Resolve, Cleared, ErrTransition},
		{"bogus", event.Resolve, "bogus", ErrTransition},
		{Open, "escalate", Open, ErrAction},
		{Open, "", Open, ErrAction},
	}
	for _, tt := range tests {
		t.Run(string(tt.from)+"/"+string(tt.kind), func(t *testing.T) {
			a := Raise("A1", pressTrigger(1), "g", nil, 1000)
			a.State = tt.from
			a.NextDeadlineMS = 61000
			a.Undelivered = map[string]int{"wang": 0}
			before := len(a.Timeline)
			act := event.Action{AlarmID: "A1", Kind: tt.kind, By: "wang", Note: "on my way", Channel: "mqtt", At: 5000}
			err := a.Apply(act)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Apply err = %v, want %v", err, tt.wantErr)
			}
			if a.State != tt.want {
				t.Fatalf("state = %s, want %s", a.State, tt.want)
			}
			if tt.wantErr != nil {
				if len(a.Timeline) != before || a.NextDeadlineMS != 61000 {
					t.Fatalf("a refused action changed the alarm: %+v", a)
				}
				return
			}
			got := a.Timeline[len(a.Timeline)-1]
			want := Entry{At: 5000, Kind: EntryKind(tt.kind), By: "wang", Channel: "mqtt", Note: "on my way"}
			if len(a.Timeline) != before+1 || got.At != want.At || got.Kind != want.Kind ||
				got.By != want.By || got.Channel != want.Channel || got.Note != want.Note {
				t.Fatalf("timeline entry = %+v, want %+v", got, want)
			}
			if a.Escalating() || a.NextDeadlineMS != 0 || a.Undelivered != nil {
				t.Fatalf("escalation not stopped: %+v", a)
			}
			if tt.want == Resolved && a.ClosedMS != 5000 {
				t.Fatalf("closed_ms = %d", a.ClosedMS)
			}
		})
	}
}

func TestJoinAndClear(t *testing.T) {
	a := Raise("A1", pressTrigger(1), "g", nil, 1000)
	a.Join(pressTrigger(2), 2000)
	a.Join(pressTrigger(3), 3000)
	if a.Count != 3 || len(a.Timeline) != 3 || !reflect.DeepEqual(a.Timeline[2], Entry{At: 3000, Kind: EntryJoined, EventID: 3}) {
		t.Fatalf("after joins: count %d timeline %+v", a.Count, a.Timeline)
	}
	if !a.Escalating() {
		t.Fatal("joining must not stop escalation")
	}
	a.NextDeadlineMS = 61000
	a.Clear(pressTrigger(4), 4000)
	if a.State != Cleared || a.ClosedMS != 4000 || a.NextDeadlineMS != 0 || a.Escalating() ||
		!reflect.DeepEqual(a.Timeline[3], Entry{At: 4000, Kind: EntryCleared, EventID: 4}) {
		t.Fatalf("after clear: %+v", a)
	}
	// A closed alarm neither joins nor clears again.
	a.Join(pressTrigger(5), 5000)
	a.Clear(pressTrigger(6), 6000)
	if a.Count != 3 || len(a.Timeline) != 4 || a.ClosedMS != 4000 {
		t.Fatalf("closed alarm changed: %+v", a)
	}
}

func TestClone(t *testing.T) {
	a := Raise("A1", pressTrigger(1), "g", &event.Location{Lat: 1, Lon: 2}, 1000)
	a.Notified = []string{"wang"}
	a.Undelivered = map[string]int{"room1": 0}
	c := a.Clone()
	a.Location.Lat = 9
	a.Notified[0] = "zhao"
	a.Undelivered["room1"] = 1
	a.Timeline[0].Kind = EntryCleared
	if c.Location.Lat != 1 || c.Notified[0] != "wang" || c.Undelivered["room1"] != 0 || c.Timeline[0].Kind != EntryRaised {
		t.Fatalf("clone shares state with the original: %+v", c)
	}
}
