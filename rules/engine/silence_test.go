package engine

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// t0 is Monday 2026-01-05 10:00 China Standard Time.
func TestSilences(t *testing.T) {
	reg := testRegistry(t)
	lb2, _ := reg.Device("lb-0002") // in lh-g5-07a, below lh-g4-07
	lb1, _ := reg.Device("lb-0001")
	tests := []struct {
		name  string
		s     Silence
		dev   *registry.Device
		typ   string
		at    time.Duration
		muted string
		test  bool
	}{
		{"device", Silence{ID: "a", Reason: "检修", Devices: []string{"lb-0001"}}, lb1, event.ButtonPressed, 0, "silenced: 检修", false},
		{"other device", Silence{ID: "a", Reason: "检修", Devices: []string{"lb-0009"}}, lb1, event.ButtonPressed, 0, "", false},
		{"grid subtree", Silence{ID: "a", Reason: "r", Grids: []string{"lh-g4-07"}}, lb2, event.ButtonPressed, 0, "silenced: r", false},
		{"other grid", Silence{ID: "a", Reason: "r", Grids: []string{"lh-g4-08"}}, lb2, event.ButtonPressed, 0, "", false},
		{"rule", Silence{ID: "a", Reason: "r", Rules: []string{RuleBatteryLow}}, lb1, event.BatteryLow, 0, "silenced: r", false},
		{"other rule", Silence{ID: "a", Reason: "r", Rules: []string{RuleBatteryLow}}, lb1, event.ButtonPressed, 0, "", false},
		{"device and rule both needed", Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, Rules: []string{RuleBatteryLow}}, lb1, event.ButtonPressed, 0, "", false},
		{"test mode", Silence{ID: "a", Reason: "安装调试", Devices: []string{"lb-0001"}, Test: true}, lb1, event.ButtonPressed, 0, "test: 安装调试", true},
		{"from is inclusive", Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, From: t0.Add(time.Minute)}, lb1, event.ButtonPressed, time.Minute, "silenced: r", false},
		{"before from", Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, From: t0.Add(time.Minute)}, lb1, event.ButtonPressed, time.Minute - time.Millisecond, "", false},
		{"until is exclusive", Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, Until: t0.Add(time.Minute)}, lb1, event.ButtonPressed, time.Minute, "", false},
		{"weekly window on Monday", Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, Every: &Weekly{Weekdays: []int{1}, From: "09:30", Until: "10:30"}}, lb1, event.ButtonPressed, 0, "silenced: r", false},
		{"weekly window other day", Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, Every: &Weekly{Weekdays: []int{2}, From: "09:30", Until: "10:30"}}, lb1, event.ButtonPressed, 0, "", false},
		{"weekly window ended", Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, Every: &Weekly{From: "09:00", Until: "10:00"}}, lb1, event.ButtonPressed, 0, "", false},
		{"past midnight belongs to the start day", Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, Every: &Weekly{Weekdays: []int{0}, From: "22:00", Until: "11:00"}}, lb1, event.ButtonPressed, 0, "silenced: r", false},
		{"past midnight, wrong start day", Silence{ID: "a", Reason: "r", Devices: []string{"lb-0001"}, Every: &Weekly{Weekdays: []int{1}, From: "22:00", Until: "11:00"}}, lb1, event.ButtonPressed, 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Compile(Config{Rules: Builtin(), Registry: func() *registry.Registry { return reg }})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.AddSilence(tt.s); err != nil {
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

func TestSilenceLifecycle(t *testing.T) {
	e := builtin(t)
	bad := e.AddSilence(Silence{ID: "bad id", From: t0.Add(time.Hour), Until: t0, Every: &Weekly{From: "25:00", Until: "x", Weekdays: []int{7}}})
	for _, w := range []string{"id \"bad id\"", "no reason", "no devices, grids or rules", "is not after from", `time of day "25:00"`, `"x"`, "weekday 7"} {
		if bad == nil || !strings.Contains(bad.Error(), w) {
			t.Errorf("AddSilence error %v does not say %q", bad, w)
		}
	}
	s := Silence{ID: "m1", Reason: "检修", Devices: []string{"lb-0001"}, Until: t0.Add(time.Hour)}
	if err := e.AddSilence(s); err != nil {
		t.Fatal(err)
	}
	s.Reason = "换电池"
	if err := e.AddSilence(s); err != nil || len(e.Silences()) != 1 || e.Silences()[0].Reason != "换电池" {
		t.Fatalf("the same ID did not replace: %v %+v", err, e.Silences())
	}
	// Survives a snapshot and a reload; gone once past Until.
	r := restored(t, Builtin(), snapshot(t, e), 0)
	n, err := r.Reload(Config{Rules: Builtin()})
	if err != nil || len(n.Silences()) != 1 {
		t.Fatalf("after restore and reload: %v %+v", err, n.Silences())
	}
	n.Tick(t0.Add(time.Hour))
	if len(n.Silences()) != 0 {
		t.Fatalf("an ended silence is kept: %+v", n.Silences())
	}
	if !e.RemoveSilence("m1") || e.RemoveSilence("m1") {
		t.Fatal("RemoveSilence")
	}
}

func TestFileSilences(t *testing.T) {
	f, err := ParseFile("site.yaml", []byte(`
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
	if err := f.Run(f.Tests[0], Config{}); err != nil {
		t.Fatal(err)
	}
	_, err = ParseFile("bad.yaml", []byte(`
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
	r := restored(t, Builtin(), buf.Bytes(), time.Second)
	low := event.Event{Device: lightbox.ID, Type: event.BatteryLow, Received: at(time.Second)}
	if got := r.Evaluate(&low, lightbox, testGrid); len(got) != 1 || got[0].Muted != "inhibited by offline" {
		t.Fatalf("after restore battery_low of an offline box = %+v, want it inhibited", got)
	}
}
