package engine

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

var (
	testGrid = &registry.Grid{ID: "lh-g4-07", Name: "莲花四级网格7", Level: 4, Parent: "lianhua"}
	lightbox = &registry.Device{ID: "lb-0001", Kind: registry.Lightbox, Grid: "lh-g4-07", Name: "莲花路12号",
		Location: &event.Location{Lat: 33.3, Lon: 111.49}}
	camera   = &registry.Device{ID: "cam-0001", Kind: registry.Camera, Grid: "lh-g4-07", Name: "莲花路12号东侧"}
	reader   = &registry.Device{ID: "rd-0001", Kind: registry.Reader, Grid: "lh-g4-07"}
	ioModule = &registry.Device{ID: "io-0003", Kind: registry.IO, Grid: "lh-g4-07", Name: "莲花路14号灯箱"}
)

func builtin(t testing.TB) *Engine {
	t.Helper()
	e, err := New(rulefile.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// brief is the part of a trigger a test compares.
type brief struct {
	Rule     string
	Severity event.Severity
	Title    string
	Clear    bool
}

func TestBuiltinEvaluate(t *testing.T) {
	e := builtin(t)
	tests := []struct {
		typ  string
		dev  *registry.Device
		want []brief
	}{
		{event.ButtonPressed, lightbox, []brief{{rulefile.RulePanic, event.Red, "莲花路12号 一键报警", false}}},
		{event.ButtonPressed, ioModule, []brief{{rulefile.RulePanic, event.Red, "莲花路14号灯箱 一键报警", false}}},
		{event.ButtonPressed, camera, nil},
		{event.ButtonPressed, nil, nil},
		{event.ButtonDuress, lightbox, []brief{{rulefile.RuleDuress, event.Red, "莲花路12号 胁迫报警", false}}},
		{event.ButtonDuress, reader, []brief{{rulefile.RuleDuress, event.Red, "rd-0001 胁迫报警", false}}},
		{event.FaceMatch, camera, []brief{{rulefile.RuleFaceMatch, event.Red, "莲花路12号东侧 布控人员比中", false}}},
		{event.FaceMatch, lightbox, nil},
		{event.DoorForced, reader, []brief{{rulefile.RuleDoorForced, event.Orange, "rd-0001 门被强行打开", false}}},
		{event.TamperOpen, lightbox, []brief{{rulefile.RuleTamper, event.Orange, "莲花路12号 防拆报警", false}}},
		{event.TamperClosed, lightbox, []brief{{rulefile.RuleTamper, event.Orange, "莲花路12号 防拆报警", true}}},
		{event.PowerMainsLost, lightbox, []brief{{rulefile.RuleMainsLost, event.Yellow, "莲花路12号 市电中断", false}}},
		{event.PowerMainsRestored, lightbox, []brief{{rulefile.RuleMainsLost, event.Yellow, "莲花路12号 市电中断", true}}},
		{event.DeviceOffline, camera, []brief{{rulefile.RuleOffline, event.Yellow, "莲花路12号东侧 设备离线", false}}},
		{event.DeviceOnline, camera, []brief{{rulefile.RuleOffline, event.Yellow, "莲花路12号东侧 设备离线", true}}},
		{event.BatteryLow, lightbox, []brief{{rulefile.RuleBatteryLow, event.Blue, "莲花路12号 电池电量低", false}}},
		{event.StreamDegraded, camera, []brief{{rulefile.RuleStreamDegraded, event.Blue, "莲花路12号东侧 视频流质量下降", false}}},
		{event.AccessGranted, reader, nil},
		{event.Motion, camera, nil},
		{"vendor.custom", lightbox, nil},
	}
	for _, tt := range tests {
		name := tt.typ + "/none"
		if tt.dev != nil {
			name = tt.typ + "/" + string(tt.dev.Kind)
		}
		t.Run(name, func(t *testing.T) {
			id := "lb-x"
			if tt.dev != nil {
				id = tt.dev.ID
			}
			ev := event.Event{ID: 9, Device: id, Type: tt.typ, TS: 1732345678123}
			got := e.Evaluate(&ev, tt.dev, testGrid)
			var gotBrief []brief
			for _, tr := range got {
				gotBrief = append(gotBrief, brief{tr.Rule, tr.Severity, tr.Title, tr.Clear})
				if tr.Device != id || !reflect.DeepEqual(tr.Event, ev) {
					t.Errorf("trigger %s: device %q event %+v, want the evaluated event", tr.Rule, tr.Device, tr.Event)
				}
			}
			if !reflect.DeepEqual(gotBrief, tt.want) {
				t.Fatalf("Evaluate = %+v, want %+v", gotBrief, tt.want)
			}
		})
	}
}

func TestEvaluateRaisesAndClearsTogether(t *testing.T) {
	e, err := New([]rulefile.Rule{
		{ID: "held", Types: []string{event.DoorHeldOpen}, Severity: event.Orange, Title: "{{device}} 门长时间未关", Clears: []string{event.DoorClosed}},
		{ID: "forced", Types: []string{event.DoorForced}, Severity: event.Orange, Title: "{{device}} 强行开门", Clears: []string{event.DoorClosed}},
		{ID: "any-door", Types: []string{event.DoorClosed, event.DoorForced}, Kinds: []registry.Kind{registry.Reader},
			Severity: event.Blue, Title: "{{grid}} {{location}}"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := event.Event{Device: "rd-0001", Type: event.DoorClosed}
	got := e.Evaluate(&ev, reader, testGrid)
	want := []brief{{"any-door", event.Blue, "莲花四级网格7 ", false}, {"held", event.Orange, "rd-0001 门长时间未关", true}, {"forced", event.Orange, "rd-0001 强行开门", true}}
	var gotBrief []brief
	for _, tr := range got {
		gotBrief = append(gotBrief, brief{tr.Rule, tr.Severity, tr.Title, tr.Clear})
	}
	if !reflect.DeepEqual(gotBrief, want) {
		t.Fatalf("Evaluate = %+v, want %+v", gotBrief, want)
	}
}

func TestNewRejects(t *testing.T) {
	ok := rulefile.Rule{ID: "ok", Types: []string{"a.b"}, Severity: event.Red, Title: "t"}
	with := func(f func(r *rulefile.Rule)) rulefile.Rule { r := ok; f(&r); return r }
	tests := []struct {
		name  string
		rules []rulefile.Rule
		want  []string
	}{
		{"empty id", []rulefile.Rule{with(func(r *rulefile.Rule) { r.ID = "" })}, []string{"empty id"}},
		{"duplicate id", []rulefile.Rule{ok, ok}, []string{"rule 1 (ok): duplicate id"}},
		{"bad severity", []rulefile.Rule{with(func(r *rulefile.Rule) { r.Severity = "purple" })}, []string{`severity "purple"`}},
		{"no types", []rulefile.Rule{with(func(r *rulefile.Rule) { r.Types = nil })}, []string{"no event types"}},
		{"empty type", []rulefile.Rule{with(func(r *rulefile.Rule) { r.Types = []string{""} })}, []string{"empty event type"}},
		{"empty clear", []rulefile.Rule{with(func(r *rulefile.Rule) { r.Clears = []string{""} })}, []string{"empty clearing event type"}},
		{"raises and clears", []rulefile.Rule{with(func(r *rulefile.Rule) { r.Clears = []string{"a.b"} })}, []string{`"a.b" both raises and clears`}},
		{"bad kind", []rulefile.Rule{with(func(r *rulefile.Rule) { r.Kinds = []registry.Kind{"toaster"} })}, []string{`device kind "toaster"`}},
		{"empty title", []rulefile.Rule{with(func(r *rulefile.Rule) { r.Title = " " })}, []string{"empty title"}},
		{"unknown placeholder", []rulefile.Rule{with(func(r *rulefile.Rule) { r.Title = "{{person}}" })}, []string{"unknown placeholder {{person}}"}},
		{"unclosed placeholder", []rulefile.Rule{with(func(r *rulefile.Rule) { r.Title = "{{device" })}, []string{"unclosed {{"}},
		{"every problem at once", []rulefile.Rule{
			with(func(r *rulefile.Rule) { r.Severity = "" }),
			with(func(r *rulefile.Rule) { r.ID = "two"; r.Types = nil; r.Title = "" }),
		}, []string{"rule 0 (ok): severity", "rule 1 (two): no event types", "rule 1 (two): empty title"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(tt.rules)
			if err == nil || e != nil {
				t.Fatalf("New accepted %+v", tt.rules)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestNewKeepsItsOwnCopy(t *testing.T) {
	rules := rulefile.Builtin()
	e, err := New(rules)
	if err != nil {
		t.Fatal(err)
	}
	rules[0].Kinds[0] = registry.Camera
	rules[0].Types[0] = "changed"
	ev := event.Event{Device: "lb-0001", Type: event.ButtonPressed}
	if got := e.Evaluate(&ev, lightbox, testGrid); len(got) != 1 {
		t.Fatalf("changing the caller's rules changed the engine: %+v", got)
	}
}

func TestEvaluateNoMatchDoesNotAllocate(t *testing.T) {
	e := builtin(t)
	for _, ev := range []event.Event{
		{Device: "rd-0001", Type: event.AccessGranted},  // no rule at all
		{Device: "cam-0001", Type: event.ButtonPressed}, // rule limited to other kinds
	} {
		dev := reader
		if ev.Device == "cam-0001" {
			dev = camera
		}
		if n := testing.AllocsPerRun(100, func() { _ = e.Evaluate(&ev, dev, testGrid) }); n != 0 {
			t.Errorf("Evaluate(%s) allocates %v times per call with no match", ev.Type, n)
		}
	}
}
