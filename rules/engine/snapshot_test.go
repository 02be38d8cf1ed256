package engine

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// stateRules are a count, a sequence and a supervision rule.
func stateRules() []rulefile.Rule {
	return []rulefile.Rule{denied(),
		{ID: "seq", Types: []string{event.ButtonPressed}, Severity: event.Red, Title: "t",
			Sequence: &rulefile.Sequence{Then: []string{event.VideoLoss}, Within: rulefile.Duration(30 * time.Second), By: "grid"}},
		{ID: "sup", Absence: &rulefile.Absence{Factor: 1.5}},
	}
}

var box = &registry.Device{ID: "lb-7", Kind: registry.Lightbox, Grid: "lh-g4-07", Heartbeat: 10 * time.Second}

// busy returns an engine with three denied cards on rd-0001, a panic
// press on lb-7 started the sequence of its cell, and lb-7 and rd-0001 supervised.
func busy(t *testing.T) *Engine {
	t.Helper()
	e, err := New(stateRules())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		deny(e, time.Duration(i)*time.Second)
	}
	ev := event.Event{ID: 41, Device: box.ID, Type: event.ButtonPressed, Received: at(3 * time.Second)}
	e.Evaluate(&ev, box, testGrid)
	return e
}

func snapshot(t testing.TB, e *Engine) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := e.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func restored(t *testing.T, rules []rulefile.Rule, snap []byte, now time.Duration) *Engine {
	t.Helper()
	e, err := New(rules)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Restore(bytes.NewReader(snap), t0.Add(now)); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestSnapshotRestoresWindowsAndSequences(t *testing.T) {
	snap := snapshot(t, busy(t))
	e := restored(t, stateRules(), snap, 4*time.Second)
	if e.LastEvent() != 41 {
		t.Fatalf("LastEvent = %d, want 41", e.LastEvent())
	}
	if deny(e, 4*time.Second) || !deny(e, 5*time.Second) {
		t.Fatal("after restore the count window did not fire on its 5th event")
	}
	dark := event.Event{Device: camera.ID, Type: event.VideoLoss, Received: at(10 * time.Second)}
	if got := e.Evaluate(&dark, camera, testGrid); len(got) != 1 || got[0].Rule != "seq" {
		t.Fatalf("after restore the sequence did not complete: %+v", got)
	}
}

func TestSnapshotDeadlinesPassedWhileDownFireOnTime(t *testing.T) {
	snap := snapshot(t, busy(t))
	// The gateway was down for an hour; lb-7 said nothing since t0+3s.
	e := restored(t, stateRules(), snap, time.Hour)
	next, ok := e.NextDeadline()
	if !ok || !next.Equal(t0.Add(18*time.Second)) {
		t.Fatalf("NextDeadline = %v %v, want t0+18s (1.5 heartbeats after the press)", next, ok)
	}
	got := e.Tick(t0.Add(time.Hour))
	var offline []event.Event
	for _, d := range got {
		if d.Type == event.DeviceOffline {
			offline = append(offline, d)
		}
	}
	if len(offline) != 2 || offline[0].Device != box.ID || offline[0].TS != at(18*time.Second) {
		t.Fatalf("first Tick after restore derived %+v, want lb-7 offline as of t0+18s (and rd-0001)", got)
	}
}

func TestSnapshotIgnoresStateOfChangedRules(t *testing.T) {
	snap := snapshot(t, busy(t))
	rules := stateRules()
	rules[0].Count.Within = rulefile.Duration(2 * time.Minute) // changed
	e := restored(t, rules, snap, 4*time.Second)
	if deny(e, 4*time.Second) || deny(e, 5*time.Second) {
		t.Fatal("a changed count rule got its old window back")
	}
	dark := event.Event{Device: camera.ID, Type: event.VideoLoss, Received: at(10 * time.Second)}
	if got := e.Evaluate(&dark, camera, testGrid); len(got) != 1 {
		t.Fatalf("the unchanged sequence rule lost its state: %+v", got)
	}
}

func TestRestoreRefusesCorruptSnapshots(t *testing.T) {
	good := snapshot(t, busy(t))
	lines := strings.SplitAfter(strings.TrimSuffix(string(good), "\n"), "\n")
	tests := []struct {
		name, snap, want string
	}{
		{"empty", "", "truncated"},
		{"not json", "hello\n", "line 1"},
		{"other format", `{"k":"something"}` + "\n", "not a rule state snapshot"},
		{"future version", `{"k":"gridwatch.rules.state","v":9}` + "\n", "version 9"},
		{"truncated", strings.Join(lines[:len(lines)-1], ""), "truncated"},
		{"a line lost", strings.Join(append(append([]string{}, lines[:2]...), lines[3:]...), ""), "end says"},
		{"garbage in the middle", lines[0] + "{\"k\":\"count\",\"key\":\n" + strings.Join(lines[1:], ""), "line 2"},
		{"data after the end", string(good) + "{}\n", "after the end"},
		{"a count line for a sequence rule", lines[0] + `{"k":"rule","rule":"seq","hash":"` + hashOf(t, "seq") + `"}` + "\n" +
			`{"k":"count","key":"x","t":[1]}` + "\n" + `{"k":"end","n":2}` + "\n", "does not keep"},
		{"a line far too long", lines[0] + strings.Repeat("x", maxSnapshotLine+10) + "\n", "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := busy(t)
			err := e.Restore(strings.NewReader(tt.snap), t0)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Restore error %v, want it to say %q", err, tt.want)
			}
			if s := e.Stats(); s.Keys != 0 || e.LastEvent() != 0 {
				t.Fatalf("after a refused snapshot Stats %+v LastEvent %d, want an empty engine", s, e.LastEvent())
			}
			if _, ok := e.NextDeadline(); ok {
				t.Fatal("after a refused snapshot a deadline is armed")
			}
			if deny(e, 0) {
				t.Fatal("the emptied engine does not work")
			}
		})
	}
}

func hashOf(t *testing.T, id string) string {
	e, err := New(stateRules())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range e.rules {
		if r.ID == id {
			return r.hash
		}
	}
	t.Fatalf("no rule %s", id)
	return ""
}

// FuzzRestore feeds Restore mangled snapshots: it never panics, and it
// either restores or leaves the engine empty.
func FuzzRestore(f *testing.F) {
	e, err := New(stateRules())
	if err != nil {
		f.Fatal(err)
	}
	for i := range 6 {
		ev := event.Event{ID: uint64(i), Device: "rd-" + string(rune('a'+i)), Type: event.AccessDenied, Received: at(time.Duration(i) * time.Second)}
		e.Evaluate(&ev, reader, testGrid)
	}
	press := event.Event{Device: box.ID, Type: event.ButtonPressed, Received: at(3 * time.Second)}
	e.Evaluate(&press, box, testGrid)
	f.Add(snapshot(f, e))
	f.Add([]byte(`{"k":"gridwatch.rules.state","v":1}` + "\n" + `{"k":"end","n":0}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := New(stateRules())
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Restore(bytes.NewReader(data), t0); err != nil {
			if s := e.Stats(); s.Keys != 0 {
				t.Fatalf("refused snapshot left %d keys", s.Keys)
			}
			return
		}
		e.Tick(t0.Add(time.Hour))
		deny(e, time.Hour)
	})
}
