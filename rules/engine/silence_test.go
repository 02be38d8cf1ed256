package engine

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/gridwatch/gridwatch/rules/rulefile"
	"github.com/gridwatch/gridwatch/rules/silence"
)

// t0 is Monday 2026-01-05 10:00 China Standard Time.
func TestSilences(t *testing.T) {
	reg := testRegistry(t)
	lb2, _ := reg.Device("lb-0002") // in lh-g5-07a, below lh-g4-07
	lb1, _ := reg.Device("lb-0001")
	tests := []struct {
		name  string
		s     silence.Silence
		dev   *registry.Device
		typ   string
		at    time.Duration
		muted string
		test  bool
	}{
		{"device", silence.Silence{ID: "a", Reason: "检修", Devices: []string{"lb-0001"}}, lb1, event.ButtonPressed, 0, "silenced: 检修", false},
		{"other device", silence.Silence{ID: "a", Reason: "检修", Devices: []string{"lb-0009"}}, lb1, event.ButtonPressed, 0, "", false},
		{"grid subtree", silence.Silence{ID: "a", Reason: "r", Grids: []string{"lh-g4-07"}}, lb2, event.ButtonPressed, 0, "silenced: r", false},
		{"other grid", silence.Silence{ID: "a", Reason: "r", Grids: []string{"lh-g4-08"}}, lb2, event.ButtonPressed, 0, "", false},
		{"rule", silence.Silence{ID: "a", Reason: "r", Rules: []string{rulefile.RuleBatteryLow}}, lb1, event.BatteryLow, 0, "silenced: r", false},
		{"other rule", silence.Silence{ID: "a", Reason: "r", Rules: []string{rulefile.RuleBatteryLow}}, lb1, event.ButtonPressed, 0, "", false},
		{"device and rule both needed", silence.Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, Rules: []string{rulefile.RuleBatteryLow}}, lb1, event.ButtonPressed, 0, "", false},
		{"test mode", silence.Silence{ID: "a", Reason: "安装调试", Devices: []string{"lb-0001"}, Test: true}, lb1, event.ButtonPressed, 0, "test: 安装调试", true},
		{"from is inclusive", silence.Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, From: t0.Add(time.Minute)}, lb1, event.ButtonPressed, time.Minute, "silenced: r", false},
		{"before from", silence.Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, From: t0.Add(time.Minute)}, lb1, event.ButtonPressed, time.Minute - time.Millisecond, "", false},
		{"until is exclusive", silence.Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, Until: t0.Add(time.Minute)}, lb1, event.ButtonPressed, time.Minute, "", false},
		{"weekly window on Monday", silence.Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, Every: &silence.Weekly{Weekdays: []int{1}, From: "09:30", Until: "10:30"}}, lb1, event.ButtonPressed, 0, "silenced: r", false},
		{"weekly window other day", silence.Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, Every: &silence.Weekly{Weekdays: []int{2}, From: "09:30", Until: "10:30"}}, lb1, event.ButtonPressed, 0, "", false},
		{"weekly window ended", silence.Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, Every: &silence.Weekly{From: "09:00", Until: "10:00"}}, lb1, event.ButtonPressed, 0, "", false},
		{"past midnight belongs to the start day", silence.Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, Every: &silence.Weekly{Weekdays: []int{0}, From: "22:00", Until: "11:00"}}, lb1, event.ButtonPressed, 0, "silenced: r", false},
		{"past midnight, wrong start day", silence.Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, Every: &silence.Weekly{Weekdays: []int{1}, From: "22:00", Until: "11:00"}}, lb1, event.ButtonPressed, 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Compile(Config{Rules: rulefile.Builtin(), Registry: func() *registry.Registry { return reg },
				Operators: operators(t, tt.s)})
			if err != nil {
				t.Fatal(err)
			}
			ev := event.Event{Device: tt.dev.ID, Type: tt.typ, Received: at(tt.at)}
			got := e.Evaluate(&ev, tt.dev, nil)
			if len(got) != 1 {
				t.Fatalf("Evaluate = %+v, want one trigger (silences mute, never drop)", got)
			}
			if got[0].Muted != tt.muted || got[0].Test != tt.test {
				t.Fatalf("Muted %q Test %v, want %q %v", got[0].Muted, got[0].Test, tt.muted, tt.test)
			}
		})
	}
}

// operators returns an operators' set, kept in memory, holding ss.
func operators(t testing.TB, ss ...silence.Silence) *silence.Set {
	t.Helper()
	set := silence.New(silence.Config{Now: func() time.Time { return t0 }})
	for _, s := range ss {
		if err := set.Add(s, alarm.AuditRecord{}); err != nil {
			t.Fatal(err)
		}
	}
	return set
}

// TestOperatorSilencesAreNoSnapshotState: the operators' silences are
// asked of their set, so neither a reload, a reset, nor a damaged or
// missing snapshot drops one (they once lived in the snapshot, and a
// damaged rules.state silently lost them).
func TestOperatorSilencesAreNoSnapshotState(t *testing.T) {
	m1 := silence.Silence{ID: "m1", Reason: "检修", Devices: []string{"lb-0001"}, Until: t0.Add(time.Hour)}
	set := operators(t, m1)
	muted := func(t *testing.T, e *Engine) {
		t.Helper()
		ev := event.Event{Device: lightbox.ID, Type: event.ButtonPressed, Received: at(time.Minute)}
		if got := e.Evaluate(&ev, lightbox, testGrid); len(got) != 1 || got[0].Muted != "silenced: 检修" {
			t.Fatalf("a press on a silenced box = %+v, want it muted", got)
		}
	}
	e, err := Compile(Config{Rules: rulefile.Builtin(), Operators: set})
	if err != nil {
		t.Fatal(err)
	}
	snap := snapshot(t, e)
	if strings.Contains(string(snap), `"silence"`) {
		t.Fatalf("the snapshot carries operators' silences:\n%s", snap)
	}
	for _, tc := range []struct {
		name string
		snap []byte
	}{
		{"restored", snap},
		{"damaged", []byte(`{"k":"gridwatch.rules.state","v":1}` + "\n{garbage\n")},
		{"truncated", snap[:len(snap)/2]},
		{"empty", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Compile(Config{Rules: rulefile.Builtin(), Operators: set})
			if err != nil {
				t.Fatal(err)
			}
			_ = r.Restore(bytes.NewReader(tc.snap), t0) // a refusal leaves the rules' state empty, not the silences
			muted(t, r)
			r.Reset()
			muted(t, r)
			n, err := r.Reload(Config{Rules: rulefile.Builtin()})
			if err != nil {
				t.Fatal(err)
			}
			muted(t, n)
			if got := n.Silences(); len(got) != 1 || got[0].ID != "m1" {
				t.Fatalf("Silences() = %+v, want m1", got)
			}
		})
	}
}

// TestRestoreAdoptsSilencesOfEarlierSnapshots: a snapshot written by an
// earlier version carries the operators' silences; restoring it hands
// each to the set, so an upgrade keeps them. An ended one is let go.
func TestRestoreAdoptsSilencesOfEarlierSnapshots(t *testing.T) {
	old := `{"k":"gridwatch.rules.state","v":1,"last":7}
{"k":"silence","silence":{"id":"m1","reason":"检修","devices":["lb-0001"],"by":"room1"}}
{"k":"silence","silence":{"id":"gone","reason":"r","devices":["lb-0002"],"until":"2026-01-01T00:00:00Z"}}
{"k":"end","n":2}
`
	set := operators(t)
	e, err := Compile(Config{Rules: rulefile.Builtin(), Operators: set})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Restore(strings.NewReader(old), t0); err != nil {
		t.Fatal(err)
	}
	if got := set.List(); len(got) != 1 || got[0].ID != "m1" || got[0].By != "room1" {
		t.Fatalf("the set holds %+v, want m1 by room1", got)
	}
	if e.LastEvent() != 7 {
		t.Fatalf("LastEvent = %d, want 7", e.LastEvent())
	}
}

func TestFileSilences(t *testing.T) {
	f, err := rulefile.ParseFile("site.yaml", []byte(`
rules:
  - {id: door, types: [door.forced], severity: orange, title: "{{device}} 门", devices: [rd-0001]}
silences:
  - {id: weekly, reason: 周一检修, devices: [rd-0001], every: {weekdays: [1], from: "09:00", until: "11:00"}}
tests:
  - name: a forced door during the maintenance window is recorded, muted
    events:
      - {at: 0s, device: rd-0001, type: door.forced}
      - {at: 1h, device: rd-0001, type: door.forced}
    expect:
      - {at: 0s, rule: door, device: rd-0001, muted: true}
      - {at: 1h, rule: door, device: rd-0001}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Run(f.Tests[0], Cases(Config{})); err != nil {
		t.Fatal(err)
	}
	_, err = rulefile.ParseFile("bad.yaml", []byte(`
rules:
  - {id: door, types: [door.forced], severity: orange, title: t, inhibited_by: {rules: [nope, door], scope: cell}}
  - {id: door_flapping, types: [a.b], severity: blue, title: t}
  - {id: x, types: [a.c], severity: blue, title: t, clears: [a.d], flap: {at_most: 0, within: 1m}, inhibited_by: [{rules: [door]}]}
  - {id: x2, types: [a.c], severity: blue, title: t, clears: [a.e], flap: {at_most: 2, within: 1m}}
  - {id: x2_flapping, types: [a.f], severity: blue, title: t}
silences:
  - {id: s, reason: r, colour: red}
  - {id: s2, reason: r}
`))
	for _, w := range []string{`bad.yaml:3: door: inhibited_by scope "cell"`, `no rule "nope"`, "cannot inhibit itself",
		`bad.yaml:5: x: flap at_most 0`, `bad.yaml:5: x: inhibited_by: rule "door" has no clears`,
		`bad.yaml:6: x2: flap: rule id "x2_flapping" is taken`, `bad.yaml:9: s: unknown field "colour"`, "s2: no devices, grids or rules"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("errors do not say %q", w)
		}
	}
	if t.Failed() {
		t.Log(err)
	}
}

func TestInhibitionIsSnapshotted(t *testing.T) {
	e := builtin(t)
	off := event.Event{Device: lightbox.ID, Type: event.DeviceOffline, Source: event.SourceGateway, Received: at(0)}
	e.Evaluate(&off, lightbox, testGrid)
	var buf bytes.Buffer
	if err := e.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	r := restored(t, rulefile.Builtin(), buf.Bytes(), time.Second)
	low := event.Event{Device: lightbox.ID, Type: event.BatteryLow, Received: at(time.Second)}
	if got := r.Evaluate(&low, lightbox, testGrid); len(got) != 1 || got[0].Muted != "inhibited by offline" {
		t.Fatalf("after restore battery_low of an offline box = %+v, want it inhibited", got)
	}
}
