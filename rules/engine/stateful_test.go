package engine

import (
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

var t0 = time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC)

func at(d time.Duration) int64 { return t0.Add(d).UnixMilli() }

func TestCountKeyedByExpression(t *testing.T) {
	// One card refused on three different readers in 2 minutes.
	e, err := New([]rulefile.Rule{{ID: "card", Types: []string{event.AccessDenied}, Severity: event.Orange, Title: "卡 {{device}}",
		Count: &rulefile.Count{AtLeast: 3, Within: rulefile.Duration(2 * time.Minute), By: "data.card"}}})
	if err != nil {
		t.Fatal(err)
	}
	send := func(dev, card string, d time.Duration) int {
		ev := event.Event{Device: dev, Type: event.AccessDenied, Received: at(d), Data: map[string]any{"card": card}}
		return len(e.Evaluate(&ev, nil, nil))
	}
	got := []int{send("rd-1", "A", 0), send("rd-2", "B", time.Second), send("rd-3", "A", 10*time.Second),
		send("rd-4", "A", 20*time.Second)}
	if got[0]+got[1]+got[2] != 0 || got[3] != 1 {
		t.Fatalf("triggers per event %v, want only the third A to fire", got)
	}
	// An event without the key counts for nothing.
	ev := event.Event{Device: "rd-1", Type: event.AccessDenied, Received: at(30 * time.Second)}
	if len(e.Evaluate(&ev, nil, nil)) != 0 {
		t.Fatal("an event without data.card fired")
	}
	if s := e.Stats(); s.Keys != 2 {
		t.Fatalf("Stats %+v, want 2 keys (A after firing, B)", s)
	}
	e.Tick(t0.Add(time.Hour))
	if s := e.Stats(); s.Keys != 0 {
		t.Fatalf("after an idle hour Stats %+v, want no keys", s)
	}
}

func TestSequenceByGrid(t *testing.T) {
	rules := rulefile.Builtin()
	e, err := New(rules)
	if err != nil {
		t.Fatal(err)
	}
	other := &registry.Device{ID: "cam-9", Kind: registry.Camera, Grid: "lh-g4-08"}
	press := event.Event{Device: lightbox.ID, Type: event.ButtonPressed, Received: at(0)}
	e.Evaluate(&press, lightbox, testGrid)
	dark := func(dev *registry.Device, d time.Duration) bool {
		ev := event.Event{Device: dev.ID, Type: event.VideoLoss, Received: at(d)}
		for _, tr := range e.Evaluate(&ev, dev, nil) {
			if tr.Rule == rulefile.RulePanicCameraDark {
				return true
			}
		}
		return false
	}
	if dark(other, 5*time.Second) {
		t.Fatal("a camera of another cell completed the sequence")
	}
	if !dark(camera, 30*time.Second) {
		t.Fatal("the cell's camera at exactly 30 s did not complete the sequence")
	}
	if dark(camera, 31*time.Second) {
		t.Fatal("a sequence completed twice")
	}
}

func TestSupervision(t *testing.T) {
	hb := 10 * time.Second
	box := &registry.Device{ID: "lb-7", Kind: registry.Lightbox, Grid: "g", Heartbeat: hb}
	tests := []struct {
		name    string
		absence rulefile.Absence
		offline time.Duration // after the last sign of life
	}{
		{"default factor", rulefile.Absence{}, 12500 * time.Millisecond},
		{"factor 1.0, never earlier than one interval", rulefile.Absence{Factor: 1}, 10 * time.Second},
		{"factor 1.5, at the latest", rulefile.Absence{Factor: 1.5}, 15 * time.Second},
		{"fixed silence", rulefile.Absence{After: rulefile.Duration(time.Minute)}, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.absence
			e, err := New([]rulefile.Rule{{ID: "sup", Absence: &a}})
			if err != nil {
				t.Fatal(err)
			}
			ev := event.Event{Device: box.ID, Type: event.Motion, Received: at(0)}
			e.Evaluate(&ev, box, nil)
			e.Alive(box.ID, box, t0.Add(5*time.Second)) // a heartbeat
			last := 5 * time.Second
			if next, ok := e.NextDeadline(); !ok || !next.Equal(t0.Add(last+tt.offline)) {
				t.Fatalf("NextDeadline = %v %v, want %v", next, ok, t0.Add(last+tt.offline))
			}
			if got := e.Tick(t0.Add(last + tt.offline - time.Millisecond)); len(got) != 0 {
				t.Fatalf("offline early: %+v", got)
			}
			got := e.Tick(t0.Add(last + tt.offline + 3*time.Second)) // a late tick
			if len(got) != 1 || got[0].Type != event.DeviceOffline || got[0].Device != box.ID ||
				got[0].TS != at(last+tt.offline) || got[0].Source != event.SourceGateway {
				t.Fatalf("Tick = %+v, want one device.offline at the deadline", got)
			}
			// Its own verdict coming back through the rules is no sign of life.
			e.Evaluate(&got[0], box, nil)
			if got := e.Tick(t0.Add(time.Hour)); len(got) != 0 {
				t.Fatalf("declared offline twice: %+v", got)
			}
			back := event.Event{Device: box.ID, Type: event.Motion, Received: at(2 * time.Hour)}
			e.Evaluate(&back, box, nil)
			got = e.Tick(t0.Add(2 * time.Hour))
			if len(got) != 1 || got[0].Type != event.DeviceOnline || got[0].TS != at(2*time.Hour) {
				t.Fatalf("Tick after return = %+v, want one device.online", got)
			}
		})
	}
}

func TestSupervisionForgetsRemovedDevices(t *testing.T) {
	reg := registry.Empty()
	e, err := Compile(Config{Rules: []rulefile.Rule{{ID: "sup", Absence: &rulefile.Absence{}}}, Registry: func() *registry.Registry { return reg }})
	if err != nil {
		t.Fatal(err)
	}
	e.Alive("gone", nil, t0)
	if got := e.Tick(t0.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("a device not in the registry was declared offline: %+v", got)
	}
	if s := e.Stats(); s.Keys != 0 {
		t.Fatalf("Stats %+v, want the device forgotten", s)
	}
}

func TestSupervisionOutOfOrder(t *testing.T) {
	e, err := New([]rulefile.Rule{{ID: "sup", Absence: &rulefile.Absence{After: rulefile.Duration(time.Minute)}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{50 * time.Second, 10 * time.Second} {
		ev := event.Event{Device: "d", Type: "x", Received: at(d)}
		e.Evaluate(&ev, nil, nil)
	}
	if next, _ := e.NextDeadline(); !next.Equal(t0.Add(110 * time.Second)) {
		t.Fatalf("NextDeadline = %v: an older event moved the deadline back", next)
	}
}
