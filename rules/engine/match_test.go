package engine

import (
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// fired runs one event through a one-rule engine and says whether the rule
// raised.
func fired(t *testing.T, r rulefile.Rule, ev event.Event) bool {
	t.Helper()
	r.ID, r.Severity = "r", event.Red
	if r.Title == "" {
		r.Title = "t"
	}
	reg := testRegistry(t)
	e, err := Compile(Config{Rules: []rulefile.Rule{r}, Registry: func() *registry.Registry { return reg }})
	if err != nil {
		t.Fatal(err)
	}
	dev, _ := reg.Device(ev.Device)
	return len(e.Evaluate(&ev, dev, nil)) == 1
}

func TestMatch(t *testing.T) {
	// 2026-01-05 is a Monday; 23:30 China time is 15:30 UTC.
	night := time.Date(2026, 1, 5, 15, 30, 0, 0, time.UTC).UnixMilli()
	day := time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC).UnixMilli()
	tests := []struct {
		name string
		rule rulefile.Rule
		ev   event.Event
		want bool
	}{
		{"exact type", rulefile.Rule{Types: []string{"door.forced"}}, event.Event{Device: "rd-0001", Type: "door.forced"}, true},
		{"exact type, other", rulefile.Rule{Types: []string{"door.forced"}}, event.Event{Device: "rd-0001", Type: "door.closed"}, false},
		{"glob", rulefile.Rule{Types: []string{"door.*"}}, event.Event{Device: "rd-0001", Type: "door.held_open"}, true},
		{"glob, other", rulefile.Rule{Types: []string{"door.*"}}, event.Event{Device: "rd-0001", Type: "doors.x"}, false},
		{"star", rulefile.Rule{Types: []string{"*"}}, event.Event{Device: "rd-0001", Type: "vendor.custom"}, true},
		{"kind", rulefile.Rule{Types: []string{"*"}, Kinds: []registry.Kind{registry.Camera}}, event.Event{Device: "cam-0001", Type: "motion"}, true},
		{"kind, other", rulefile.Rule{Types: []string{"*"}, Kinds: []registry.Kind{registry.Camera}}, event.Event{Device: "rd-0001", Type: "motion"}, false},
		{"kind, unknown device", rulefile.Rule{Types: []string{"*"}, Kinds: []registry.Kind{registry.Camera}}, event.Event{Device: "ghost", Type: "motion"}, false},
		{"device id", rulefile.Rule{Types: []string{"motion"}, Devices: []string{"cam-0002"}}, event.Event{Device: "cam-0002", Type: "motion"}, true},
		{"device id, other", rulefile.Rule{Types: []string{"motion"}, Devices: []string{"cam-0002"}}, event.Event{Device: "cam-0001", Type: "motion"}, false},
		{"grid subtree, two levels down", rulefile.Rule{Types: []string{"motion"}, Grids: []string{"lianhua"}}, event.Event{Device: "cam-0002", Type: "motion"}, true},
		{"grid subtree, the cell itself", rulefile.Rule{Types: []string{"motion"}, Grids: []string{"lh-g5-07a"}}, event.Event{Device: "cam-0002", Type: "motion"}, true},
		{"grid subtree, a sibling", rulefile.Rule{Types: []string{"motion"}, Grids: []string{"lh-g4-08"}}, event.Event{Device: "cam-0002", Type: "motion"}, false},
		{"grid subtree, a child is not above", rulefile.Rule{Types: []string{"motion"}, Grids: []string{"lh-g5-07a"}}, event.Event{Device: "cam-0001", Type: "motion"}, false},
		{"when on data", rulefile.Rule{Types: []string{"face.match"}, When: `data.score >= 0.9 && data.watchlist == "wanted"`},
			event.Event{Device: "cam-0001", Type: "face.match", Data: map[string]any{"score": 0.93, "watchlist": "wanted"}}, true},
		{"when on data, false", rulefile.Rule{Types: []string{"face.match"}, When: `data.score >= 0.9`},
			event.Event{Device: "cam-0001", Type: "face.match", Data: map[string]any{"score": 0.5}}, false},
		{"when on missing data is false, not a panic", rulefile.Rule{Types: []string{"face.match"}, When: `data.score >= 0.9`},
			event.Event{Device: "cam-0001", Type: "face.match"}, false},
		{"when on attrs", rulefile.Rule{Types: []string{"*"}, When: `device.attrs.vendor == "acme" && device.kind == "lightbox"`},
			event.Event{Device: "lb-0002", Type: "motion"}, true},
		{"when at night", rulefile.Rule{Types: []string{"motion"}, When: `hour >= 22 || hour < 6`}, event.Event{Device: "cam-0001", Type: "motion", TS: night}, true},
		{"when at night, by day", rulefile.Rule{Types: []string{"motion"}, When: `hour >= 22 || hour < 6`}, event.Event{Device: "cam-0001", Type: "motion", TS: day}, false},
		{"weekday", rulefile.Rule{Types: []string{"motion"}, When: `weekday == 1 && minute == 30`}, event.Event{Device: "cam-0001", Type: "motion", TS: night}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fired(t, tt.rule, tt.ev); got != tt.want {
				t.Fatalf("fired = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGlobRulesKeepOrderAndFireOnce(t *testing.T) {
	e, err := New([]rulefile.Rule{
		{ID: "a", Types: []string{"door.*", "*.forced"}, Severity: event.Orange, Title: "a"},
		{ID: "b", Types: []string{"door.forced"}, Severity: event.Red, Title: "b"},
		{ID: "c", Types: []string{"*"}, Severity: event.Blue, Title: "c", Clears: []string{"door.closed"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		typ  string
		want []string
	}{
		{"door.forced", []string{"a", "b", "c"}},
		{"door.held_open", []string{"a", "c"}},
		{"gate.forced", []string{"a", "c"}},
		{"door.closed", []string{"a", "c", "c-clear"}},
	} {
		ev := event.Event{Device: "rd-0001", Type: tt.typ}
		var got []string
		for _, tr := range e.Evaluate(&ev, reader, testGrid) {
			id := tr.Rule
			if tr.Clear {
				id += "-clear"
			}
			got = append(got, id)
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.typ, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: got %v, want %v", tt.typ, got, tt.want)
			}
		}
	}
}

func TestCompileNeedsRegistryForGrids(t *testing.T) {
	_, err := New([]rulefile.Rule{{ID: "g", Types: []string{"a"}, Grids: []string{"lianhua"}, Severity: event.Red, Title: "t"}})
	if err == nil {
		t.Fatal("New accepted a grid rule without a registry")
	}
	if _, err := Compile(Config{MaxKeys: -1}); err == nil {
		t.Fatal("Compile accepted MaxKeys -1")
	}
}
