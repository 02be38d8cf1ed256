package escalate

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// repagePolicies re-page red step 0 every minute and want someone on scene
// within ten minutes of the ack.
const repagePolicies = `
red:
  arrive_within: 10m
  steps:
    - {after: 0s, roles: [grid_member], repeat: 60s}
    - {after: 5m, roles: [police]}
orange: {steps: [{after: 0s, roles: [security_room]}]}
yellow: {steps: [{after: 0s, roles: [security_room]}]}
blue:   {steps: [{after: 0s, roles: [security_room]}]}
`

func decodePolicies(t *testing.T, src string) Policies {
	t.Helper()
	var p Policies
	if err := yaml.Unmarshal([]byte(src), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRepageDecodesAndValidates(t *testing.T) {
	p := decodePolicies(t, repagePolicies)
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := p[event.Red]; got.ArriveWithin != 10*time.Minute || got.Steps[0].Repeat != time.Minute || got.Steps[1].Repeat != 0 {
		t.Fatalf("decoded red policy = %+v", got)
	}
	bad := decodePolicies(t, strings.NewReplacer("repeat: 60s", "repeat: 1s", "arrive_within: 10m", "arrive_within: -1m").Replace(repagePolicies))
	err := bad.Validate()
	for _, want := range []string{"policy red step 0: repeat 1s: want 0 (none) or at least 10s", "policy red: arrive_within -1m0s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to say %q", err, want)
		}
	}
}

func TestRepeatUntilAckAndRepageWhenNobodyArrives(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "alarms.db")
		var lastID uint64
		notes := newNotifier()
		policies := func(c *Config) { c.Policies = decodePolicies(t, repagePolicies) }
		r := startRig(t, path, notes, &lastID, policies)
		ctx := context.Background()
		t0 := time.Now()
		expect := func(when string, want ...string) {
			t.Helper()
			pages := notes.take()
			if got := staffOf(pages); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s (t0+%v): paged %v, want %v", when, time.Since(t0), got, want)
			}
		}
		r.send("lb-0001", event.ButtonPressed)
		expect("step 0", "chen", "wang")
		advance(59 * time.Second)
		expect("before the repeat")
		advance(time.Second)
		expect("first repeat", "chen", "wang")
		advance(60 * time.Second)
		expect("second repeat", "chen", "wang")

		// Down from t0+150 s to t0+250 s: the repeat due at t0+180 s fires
		// once on restart, and the schedule runs from then.
		advance(30 * time.Second)
		r.stop()
		advance(100 * time.Second)
		r = startRig(t, path, notes, &lastID, policies)
		defer r.stop()
		expect("catch-up repeat after restart", "chen", "wang")
		advance(50 * time.Second)
		expect("step 1 at t0+300 s", "li")
		advance(10 * time.Second)
		expect("repeat at t0+310 s", "chen", "wang")

		// The ack stops the repeats; the arrive deadline runs from it.
		advance(10 * time.Second)
		id := r.only().ID
		if _, err := r.desk.Act(ctx, event.Action{AlarmID: id, Kind: event.Ack, By: "li"}); err != nil {
			t.Fatal(err)
		}
		advance(10*time.Minute - time.Second)
		expect("before the arrive deadline")
		advance(time.Second)
		expect("nobody arrived", "chen", "li", "wang")
		advance(10 * time.Minute)
		expect("still nobody", "chen", "li", "wang")
		if _, err := r.desk.Act(ctx, event.Action{AlarmID: id, Kind: event.Arrive, By: "wang"}); err != nil {
			t.Fatal(err)
		}
		advance(time.Hour)
		expect("after arrival")

		a, _, err := r.desk.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		var notesOf []string
		for _, e := range a.Timeline {
			if e.Kind == alarm.EntryRepaged {
				notesOf = append(notesOf, e.Note)
			}
		}
		want := []string{"repeat", "repeat", "repeat", "repeat", "no arrival", "no arrival"}
		if !reflect.DeepEqual(notesOf, want) {
			t.Fatalf("re-page entries %q, want %q", notesOf, want)
		}
		if got := r.metric(r.desk.m.repages.WithLabelValues("red", alarm.RepageNoArrival)); got != 2 {
			t.Fatalf("no-arrival re-page metric = %v", got)
		}
	})
}
