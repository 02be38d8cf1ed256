package escalate

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

func TestEmergencySendsEveryStepAtOnceAndSurvivesRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "alarms.db")
		var lastID uint64
		notes := newNotifier()
		r := startRig(t, path, notes, &lastID)
		ctx := context.Background()
		r.send("lb-0001", event.ButtonPressed)
		first := r.only().ID
		notes.take() // step 0

		refused := []struct {
			name, scope, by string
			want            error
		}{
			{"grid member", "lianhua", "wang", ErrForbidden},
			{"unknown staff", "lianhua", "ghost", ErrForbidden},
			{"command centre of another tree", "lianhua", "duty", ErrForbidden},
			{"whole site, one root only", alarm.SiteScope, "cmd1", ErrForbidden},
			{"unknown cell", "nowhere", "room1", ErrUnknownGrid},
		}
		for _, c := range refused {
			if err := r.desk.SetEmergency(ctx, c.scope, true, permit.Staff(c.by)); !errors.Is(err, c.want) {
				t.Fatalf("%s: err = %v, want %v", c.name, err, c.want)
			}
		}
		if _, err := r.desk.Act(ctx, event.Action{AlarmID: first, Kind: event.Ack, By: "sun"}); !errors.Is(err, ErrForbidden) {
			t.Fatalf("ack by another cell's member: %v", err)
		}
		if p := notes.take(); len(p) != 0 {
			t.Fatalf("refused switches paged %v", staffOf(p))
		}

		// The other cell goes flat: the first alarm (lh-g4-07) is not in it.
		if err := r.desk.SetEmergency(ctx, "lh-g4-08", true, permit.Staff("room1")); err != nil {
			t.Fatal(err)
		}
		if p := notes.take(); len(p) != 0 {
			t.Fatalf("emergency on lh-g4-08 paged %v for an alarm outside it", staffOf(p))
		}

		// It survives a restart: a new alarm there pages every step at once.
		r.stop()
		r = startRig(t, path, notes, &lastID)
		defer r.stop()
		if got, _ := r.desk.Emergencies(); len(got) != 1 || got[0].Scope != "lh-g4-08" || !got[0].On || got[0].By != "room1" {
			t.Fatalf("emergencies after restart = %+v", got)
		}
		r.send("lb-0002", event.ButtonPressed)
		pages := notes.take()
		if got, want := staffOf(pages), []string{"cmd1", "li", "room1", "sun"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("flat alarm paged %v, want %v", got, want)
		}
		for _, p := range pages {
			if p.n.Late {
				t.Fatalf("emergency page marked late: %+v", p.n)
			}
		}
		second := alarmOf(t, r, "lb-0002")
		if second.Step != 2 || second.NextDeadlineMS != 0 {
			t.Fatalf("flat alarm: step %d, next deadline %d", second.Step, second.NextDeadlineMS)
		}

		// The whole community goes flat: the open alarm's remaining steps
		// go out now, not late, and nothing fires again later.
		if err := r.desk.SetEmergency(ctx, "lianhua", true, permit.Staff("room1")); err != nil {
			t.Fatal(err)
		}
		if got, want := staffOf(notes.take()), []string{"cmd1", "li", "zhao"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("switching lianhua on paged %v, want %v", got, want)
		}
		if got := r.metric(r.desk.m.steps.WithLabelValues("red", "2", "true")); got != 0 {
			t.Fatalf("late step 2 metric = %v", got)
		}
		advance(time.Hour)
		if p := notes.take(); len(p) != 0 {
			t.Fatalf("steps fired again after emergency: %v", staffOf(p))
		}

		// Off again: a new alarm escalates step by step.
		for _, scope := range []string{"lianhua", "lh-g4-08"} {
			if err := r.desk.SetEmergency(ctx, scope, false, permit.Staff("room1")); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := r.desk.ActAs(ctx, permit.Console, event.Action{AlarmID: second.ID, Kind: event.Resolve}); err != nil {
			t.Fatal(err)
		}
		r.send("lb-0002", event.ButtonPressed)
		if got, want := staffOf(notes.take()), []string{"room1", "sun"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("after emergency off paged %v, want step 0 %v", got, want)
		}

		recs, err := r.desk.AuditLog(0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, rec := range recs {
			got = append(got, string(rec.Kind)+" "+rec.By+" "+rec.Action+" "+rec.Alarm+rec.Grid)
		}
		want := []string{
			"refused wang emergency_on lianhua",
			"refused ghost emergency_on lianhua",
			"refused duty emergency_on lianhua",
			"refused cmd1 emergency_on ",
			"refused sun ack " + first + "lh-g4-07",
			"emergency room1 emergency_on lh-g4-08",
			"emergency room1 emergency_on lianhua",
			"emergency room1 emergency_off lianhua",
			"emergency room1 emergency_off lh-g4-08",
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("audit log:\n%q\nwant\n%q", got, want)
		}
	})
}

// alarmOf returns the one open alarm of a device.
func alarmOf(t *testing.T, r *rig, device string) alarm.Alarm {
	t.Helper()
	open, err := r.desk.List(alarm.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range open {
		if a.Device == device {
			return a
		}
	}
	t.Fatalf("no open alarm on %s", device)
	return alarm.Alarm{}
}
