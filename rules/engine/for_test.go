package engine

import (
	"bytes"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// runFileCases runs every test case of a rule file under testdata.
func runFileCases(t *testing.T, name string, min int) {
	t.Helper()
	f, err := rulefile.LoadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tests) < min {
		t.Fatalf("%s carries %d cases, want at least %d", name, len(f.Tests), min)
	}
	reg := testRegistry(t)
	for _, c := range f.Tests {
		t.Run(c.Name, func(t *testing.T) {
			if err := f.Run(c, Cases(Config{Registry: func() *registry.Registry { return reg }})); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestForCases(t *testing.T) { runFileCases(t, "for.yaml", 5) }

func forRule() rulefile.Rule {
	return rulefile.Rule{ID: "m5", Types: []string{event.PowerMainsLost}, Clears: []string{event.PowerMainsRestored},
		For: rulefile.Duration(5 * time.Minute), Severity: event.Yellow, Title: "t"}
}

func TestForClearedBetweenTickAndHeldEvent(t *testing.T) {
	e, err := New([]rulefile.Rule{forRule()})
	if err != nil {
		t.Fatal(err)
	}
	lost := event.Event{Device: box.ID, Type: event.PowerMainsLost, Received: at(0)}
	if got := e.Evaluate(&lost, box, nil); len(got) != 0 {
		t.Fatalf("raised at once: %+v", got)
	}
	if next, ok := e.NextDeadline(); !ok || !next.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("NextDeadline = %v %v, want t0+5m", next, ok)
	}
	held := e.Tick(t0.Add(5 * time.Minute))
	if len(held) != 1 || held[0].Type != EventHeld || held[0].TS != at(5*time.Minute) {
		t.Fatalf("Tick = %+v, want one rule.held at t0+5m", held)
	}
	// The power came back before the journaled rule.held came round.
	back := event.Event{Device: box.ID, Type: event.PowerMainsRestored, Received: at(5*time.Minute + 1)}
	if got := e.Evaluate(&back, box, nil); len(got) != 0 {
		t.Fatalf("a clear of an alarm never raised: %+v", got)
	}
	if got := e.Evaluate(&held[0], box, nil); len(got) != 0 {
		t.Fatalf("raised after the condition ended: %+v", got)
	}
	// A forged rule.held from a device raises nothing either.
	e.Evaluate(&lost, box, nil)
	e.Tick(t0.Add(time.Hour))
	forged := event.Event{Device: box.ID, Type: EventHeld, Source: event.SourceMQTT, Data: map[string]any{"rule": "m5"}}
	if got := e.Evaluate(&forged, box, nil); len(got) != 0 {
		t.Fatalf("a device's own rule.held raised: %+v", got)
	}
}

func TestForDeadlineSurvivesRestart(t *testing.T) {
	e, err := New([]rulefile.Rule{forRule()})
	if err != nil {
		t.Fatal(err)
	}
	lost := event.Event{Device: box.ID, Type: event.PowerMainsLost, Received: at(0)}
	e.Evaluate(&lost, box, nil)
	snap := snapshot(t, e)
	r := restored(t, []rulefile.Rule{forRule()}, snap, time.Hour)
	held := r.Tick(t0.Add(time.Hour))
	if len(held) != 1 || held[0].TS != at(5*time.Minute) {
		t.Fatalf("after a restart Tick = %+v, want rule.held as of t0+5m", held)
	}
	snap = snapshot(t, r) // restarted again before the held event came round
	r = restored(t, []rulefile.Rule{forRule()}, snap, time.Hour)
	got := r.Evaluate(&held[0], box, nil)
	if len(got) != 1 || got[0].Rule != "m5" || got[0].Clear {
		t.Fatalf("held event after a second restart = %+v, want the raise", got)
	}
	var buf bytes.Buffer
	if err := r.Snapshot(&buf); err != nil || !bytes.Contains(buf.Bytes(), []byte(`"k":"active"`)) {
		t.Fatalf("the raised alarm is not in the snapshot: %v\n%s", err, buf.String())
	}
}

func TestForRejects(t *testing.T) {
	r := forRule()
	r.Clears = nil
	if _, err := New([]rulefile.Rule{r}); err == nil {
		t.Error("for without clears accepted")
	}
	r = forRule()
	r.For = rulefile.Duration(-time.Second)
	if _, err := New([]rulefile.Rule{r}); err == nil {
		t.Error("negative for accepted")
	}
	r = forRule()
	r.Count = &rulefile.Count{AtLeast: 2, Within: rulefile.Duration(time.Minute)}
	if _, err := New([]rulefile.Rule{r}); err == nil {
		t.Error("for with count accepted")
	}
}
