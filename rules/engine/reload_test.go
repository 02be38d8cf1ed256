package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// denied is a count rule: 5 denied cards within 60 s on one reader.
func denied() rulefile.Rule {
	return rulefile.Rule{ID: "burst", Types: []string{event.AccessDenied}, Severity: event.Orange, Title: "{{device}}",
		Count: &rulefile.Count{AtLeast: 5, Within: rulefile.Duration(time.Minute)}}
}

// deny sends one access.denied from rd-0001 at t0+d and reports whether
// the burst rule fired.
func deny(e *Engine, d time.Duration) bool {
	ev := event.Event{Device: "rd-0001", Type: event.AccessDenied, Received: at(d)}
	for _, tr := range e.Evaluate(&ev, reader, testGrid) {
		if tr.Rule == "burst" {
			return true
		}
	}
	return false
}

func TestReloadKeepsStateOfUnchangedRules(t *testing.T) {
	e, err := New([]rulefile.Rule{denied()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if deny(e, time.Duration(i)*time.Second) {
			t.Fatalf("fired after %d events", i+1)
		}
	}
	extra := rulefile.Rule{ID: "door", Types: []string{event.DoorForced}, Severity: event.Orange, Title: "t"}
	n, err := e.Reload(Config{Rules: []rulefile.Rule{extra, denied()}})
	if err != nil {
		t.Fatal(err)
	}
	if deny(n, 3*time.Second) {
		t.Fatal("fired after 4 events")
	}
	if !deny(n, 4*time.Second) {
		t.Fatal("the 5th event after a reload with an unrelated rule added did not fire: the window was lost")
	}
}

func TestReloadDropsStateOfChangedRules(t *testing.T) {
	e, err := New([]rulefile.Rule{denied()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		deny(e, time.Duration(i)*time.Second)
	}
	changed := denied()
	changed.Count.AtLeast = 4
	n, err := e.Reload(Config{Rules: []rulefile.Rule{changed}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 3; i < 6; i++ {
		if deny(n, time.Duration(i)*time.Second) {
			t.Fatalf("the changed rule fired on its %d. event since the reload: old state was kept", i-2)
		}
	}
	if !deny(n, 6*time.Second) {
		t.Fatal("the changed rule (at_least 4) did not fire on its 4th event since the reload")
	}
	// A removed and re-added rule starts afresh too.
	n2, err := n.Reload(Config{Rules: nil})
	if err != nil {
		t.Fatal(err)
	}
	n3, err := n2.Reload(Config{Rules: []rulefile.Rule{changed}})
	if err != nil {
		t.Fatal(err)
	}
	if s := n3.Stats(); s.Keys != 0 {
		t.Fatalf("a rule removed and added again kept %d keys", s.Keys)
	}
}

func TestReloadKeepsAbsenceDeadlines(t *testing.T) {
	box := &registry.Device{ID: "lb-7", Kind: registry.Lightbox, Heartbeat: 10 * time.Second}
	sup := rulefile.Rule{ID: "sup", Absence: &rulefile.Absence{Factor: 1.5}}
	e, err := New([]rulefile.Rule{sup})
	if err != nil {
		t.Fatal(err)
	}
	ev := event.Event{Device: box.ID, Type: event.Motion, Received: at(0)}
	e.Evaluate(&ev, box, nil)
	n, err := e.Reload(Config{Rules: []rulefile.Rule{denied(), sup}})
	if err != nil {
		t.Fatal(err)
	}
	if next, ok := n.NextDeadline(); !ok || !next.Equal(t0.Add(15*time.Second)) {
		t.Fatalf("after reload NextDeadline = %v %v, want t0+15s", next, ok)
	}
	got := n.Tick(t0.Add(20 * time.Second))
	if len(got) != 1 || got[0].Type != event.DeviceOffline || got[0].TS != at(15*time.Second) {
		t.Fatalf("Tick after reload = %+v, want device.offline at t0+15s", got)
	}
}

func TestReloadRefusesBadConfigWhole(t *testing.T) {
	e, err := New([]rulefile.Rule{denied()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		deny(e, time.Duration(i)*time.Second)
	}
	bad := denied()
	bad.Severity = "purple"
	bad2 := rulefile.Rule{ID: "x", Types: nil, Severity: event.Red, Title: "t"}
	n, err := e.Reload(Config{Rules: []rulefile.Rule{bad, bad2}})
	if err == nil || n != nil {
		t.Fatal("Reload accepted a bad rule set")
	}
	for _, w := range []string{`severity "purple"`, "rule 1 (x): no event types"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if !deny(e, 4*time.Second) {
		t.Fatal("after a refused reload the old engine lost its window")
	}
}
