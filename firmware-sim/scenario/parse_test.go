package scenario

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

func TestLoadTheReadmeExample(t *testing.T) {
	s, err := Load("testdata/rehearsal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Steps) != 4 {
		t.Fatalf("%d steps", len(s.Steps))
	}
	ev, tel, exp, rep := s.Steps[0], s.Steps[1], s.Steps[2], s.Steps[3]
	if ev.Kind != Publish || ev.Device != "lb-0001" || ev.Event != "button.pressed" || ev.At != 0 || ev.Line != 3 {
		t.Errorf("event step = %+v", ev)
	}
	if tel.Kind != Telemetry || tel.At != 2*time.Second || tel.Telemetry["mains"] != false || tel.Telemetry["battery_v"] != 11.2 {
		t.Errorf("telemetry step = %+v", tel)
	}
	if exp.Kind != Expect || exp.Phone != "wang" || exp.Expect.Device != "lb-0001" || exp.Expect.Step == nil || *exp.Expect.Step != 0 || exp.Within != 5*time.Second {
		t.Errorf("expect step = %+v", exp)
	}
	if rep.Kind != Reply || rep.Phone != "wang" || rep.Reply != event.Ack || rep.At != 6*time.Second {
		t.Errorf("reply step = %+v", rep)
	}
	if got := s.Phones(); len(got) != 1 || got[0] != "wang" {
		t.Errorf("phones = %v", got)
	}
}

func TestLoadTheDrillExample(t *testing.T) {
	s, err := Load("testdata/drill.yaml")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[Kind]int{}
	nones := 0
	for _, st := range s.Steps {
		kinds[st.Kind]++
		if st.None {
			nones++
		}
	}
	if len(s.Steps) != 11 || kinds[ExpectCommand] != 5 || kinds[Expect] != 3 || kinds[Broadcast] != 1 || nones != 2 {
		t.Errorf("%d steps: %v, %d expect_none", len(s.Steps), kinds, nones)
	}
}

func TestParseDefaultsAndShapes(t *testing.T) {
	s, err := Parse("s.yaml", []byte(`steps:
  - {phone: wang, expect: {}}
  - {at: 1s, device: lb-1, event: face.match, data: {watchlist: wanted, score: 0.93}}
  - {at: 1s, device: lb-1, telemetry: {rssi_dbm: -80, fw: "1.2"}}
  - {at: 2s, phone: wang, reply: resolve, note: done}
  - {at: 2s, phone: li, expect: {severity: red, rule: panic, grid: lh-g4-07}, within: 250ms}
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Steps[0].Within != DefaultWithin || s.Steps[0].At != 0 {
		t.Errorf("defaults: %+v", s.Steps[0])
	}
	if !s.Steps[0].Expect.Matches(event.Notification{Device: "any"}) {
		t.Error("an empty expect should match any notification")
	}
	if d := s.Steps[1].Data; d["watchlist"] != "wanted" || d["score"] != 0.93 {
		t.Errorf("data = %v", d)
	}
	if f := s.Steps[2].Telemetry; f["rssi_dbm"] != float64(-80) || f["fw"] != "1.2" {
		t.Errorf("telemetry = %#v", f)
	}
	if s.Steps[3].Note != "done" {
		t.Errorf("note = %q", s.Steps[3].Note)
	}
	m := s.Steps[4].Expect
	if m.String() != "{grid: lh-g4-07, rule: panic, severity: red}" || s.Steps[4].Within != 250*time.Millisecond {
		t.Errorf("expect = %s within %v", m, s.Steps[4].Within)
	}
	if got := s.Phones(); len(got) != 2 || got[1] != "li" {
		t.Errorf("phones = %v", got)
	}
}

func TestParseCommandsAndBroadcasts(t *testing.T) {
	s, err := Parse("s.yaml", []byte(`steps:
  - {device: lb-1, expect: {cmd: strobe, args: {seconds: 120}}, within: 3s}
  - {device: lb-1, expect_none: {cmd: siren}, within: 10s}
  - {device: lb-2, expect: {}}
  - {phone: wang, expect: {kind: broadcast, text: 停电}}
  - {phone: wang, expect_none: {device: lb-1}, within: 1s}
  - {at: 1s, broadcast: {grid: lianhua, text: 今晚八点消防演练}}
  - {at: 1s, broadcast: {text: 全体注意}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if b := s.Steps[5]; b.Kind != Broadcast || b.Broadcast != (BroadcastMsg{Grid: "lianhua", Text: "今晚八点消防演练"}) || b.At != time.Second {
		t.Errorf("broadcast step = %+v", b)
	}
	if b := s.Steps[6]; b.Kind != Broadcast || b.Broadcast.Grid != "" || !s.Broadcasts() {
		t.Errorf("site-wide broadcast step = %+v", b)
	}
	want := []struct {
		kind Kind
		none bool
		show string
	}{
		{ExpectCommand, false, "{cmd: strobe, args: {seconds: 120}}"},
		{ExpectCommand, true, "{cmd: siren}"},
		{ExpectCommand, false, "{}"},
		{Expect, false, `{kind: broadcast, text: "停电"}`},
		{Expect, true, "{device: lb-1}"},
	}
	for i, w := range want {
		st := s.Steps[i]
		show := st.Expect.String()
		if st.Kind == ExpectCommand {
			show = st.Command.String()
		}
		if st.Kind != w.kind || st.None != w.none || show != w.show {
			t.Errorf("step %d: kind %d none %v %s, want %d %v %s", i, st.Kind, st.None, show, w.kind, w.none, w.show)
		}
	}
	if s.Steps[0].Within != 3*time.Second || s.Steps[2].Within != DefaultWithin {
		t.Errorf("within = %v, %v", s.Steps[0].Within, s.Steps[2].Within)
	}
	if got := s.CommandDevices(); len(got) != 2 || got[0] != "lb-1" || got[1] != "lb-2" {
		t.Errorf("command devices = %v", got)
	}
	strobe := s.Steps[0].Command
	for _, tc := range []struct {
		cmd  wire.CommandMsg
		want bool
	}{
		{wire.CommandMsg{Cmd: "strobe", Args: map[string]any{"seconds": float64(120)}}, true},
		{wire.CommandMsg{Cmd: "strobe", Args: map[string]any{"seconds": float64(120), "colour": "red"}}, true},
		{wire.CommandMsg{Cmd: "strobe", Args: map[string]any{"seconds": float64(5)}}, false},
		{wire.CommandMsg{Cmd: "strobe"}, false},
		{wire.CommandMsg{Cmd: "siren", Args: map[string]any{"seconds": float64(120)}}, false},
	} {
		if got := strobe.Matches(tc.cmd); got != tc.want {
			t.Errorf("%s matches %+v = %v", strobe, tc.cmd, got)
		}
	}
	bc := s.Steps[3].Expect
	if !bc.Matches(event.Notification{Kind: "broadcast", Text: "今晚停电两小时"}) ||
		bc.Matches(event.Notification{Kind: "broadcast", Text: "演练"}) ||
		bc.Matches(event.Notification{Device: "lb-1", Title: "停电"}) {
		t.Error("a broadcast expect matches by kind and a part of the text")
	}
	if !(Match{Kind: KindAlarm}).Matches(event.Notification{AlarmID: "a-1"}) || (Match{Kind: KindAlarm}).Matches(event.Notification{Kind: "broadcast"}) {
		t.Error("kind alarm matches alarm pages only")
	}
}

func TestParseReportsEveryProblemWithItsLine(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"empty", ``, []string{"f.yaml: no steps"}},
		{"syntax", "steps:\n  - {at: 0s\n", []string{"f.yaml:1: did not find expected ',' or '}'"}},
		{"top level", "step: []\n", []string{`f.yaml:1: unknown field "step" (want steps)`}},
		{"not a list", "steps: {at: 0s}\n", []string{"f.yaml:1: steps: want a list"}},
		{"many", `steps:
  - {at: 5, device: lb-1, event: button.pressed}
  - {at: 1s, device: "lb 2", event: Button}
  - {at: 2s, phone: wang, reply: cheer}
  - {at: 3s, phone: wang, expect: {device: lb-1, step: first, colour: red}}
  - {at: 3s, device: lb-1, event: button.pressed, telemetry: {mains: false}}
  - {at: 4s, device: lb-1, telemetry: {mains: [false]}}
  - {at: 4s, phone: wang, event: button.pressed}
  - {at: 4s, device: lb-1, event: tamper.open, within: 2s}
  - {at: 1s, device: lb-1, event: tamper.open, colour: blue}
  - just text
  - {at: -1s, phone: wang, expect: {severity: pink, step: -1}}
  - {at: 5s, at: 6s, device: lb-1, event: x.y}
`, []string{
			`f.yaml:2: at: want a duration like "90s" or "10m", got "5"`,
			`f.yaml:3: device "lb 2": ids match [A-Za-z0-9._-]{1,64}`,
			`f.yaml:3: event "Button": want a dotted lower-case type like button.pressed`,
			`f.yaml:4: reply "cheer": want ack, arrive or resolve`,
			`f.yaml:5: expect.step: want a whole number, got "first"`,
			`f.yaml:5: expect: unknown field "colour" (want device, grid, rule, severity, step, kind, text)`,
			`f.yaml:6: a step does exactly one of event, telemetry, expect, expect_none, reply or broadcast (found 2: event, telemetry)`,
			`f.yaml:7: telemetry field mains: want a number, boolean or string`,
			`f.yaml:8: event step without device`,
			`f.yaml:8: phone does not go with event`,
			`f.yaml:9: within does not go with event`,
			`f.yaml:10: unknown field "colour" (want at, device, event, data, telemetry, phone, expect, expect_none, within, reply, note, broadcast)`,
			`f.yaml:11: a step must be a mapping`,
			`f.yaml:12: at -1s: must not be negative`,
			`f.yaml:12: expect severity "pink": want red, orange, yellow or blue`,
			`f.yaml:12: expect step -1: want 0, 1, 2...`,
			`f.yaml:13: at: given twice`,
		}},
		{"commands and broadcasts", `steps:
  - {device: lb-1, phone: wang, expect: {}}
  - {expect_none: {cmd: siren}}
  - {device: lb-1, expect: {severity: red}}
  - {phone: wang, expect: {kind: page, text: 停电}}
  - {device: lb-1, expect: {cmd: "Strobe!", args: {"a b": 1}}}
  - {device: lb-1, expect_none: {cmd: siren}, note: quiet}
  - {device: lb-1, expect: {cmd: strobe}, expect_none: {cmd: siren}}
  - {phone: wang, expect_none: {device: "lb 1"}}
  - {broadcast: {grid: lianhua}}
  - {broadcast: {grid: "a b", text: hi}, phone: wang}
`, []string{
			`f.yaml:2: an expect step names a phone (notifications it got) or a device (commands it got), not both`,
			`f.yaml:3: an expect_none step needs a phone (notifications it got) or a device (commands it got)`,
			`f.yaml:4: expect: unknown field "severity" (want cmd, args)`,
			`f.yaml:5: expect kind "page": want alarm or broadcast`,
			`f.yaml:6: expect cmd "Strobe!": want a command name like strobe or siren`,
			`f.yaml:6: expect args: name "a b": names use [A-Za-z0-9_]`,
			`f.yaml:7: note does not go with expect_none (a expect_none step takes at, device, expect_none, within)`,
			`f.yaml:8: a step does exactly one of event, telemetry, expect, expect_none, reply or broadcast (found 2: expect, expect_none)`,
			`f.yaml:9: expect_none device "lb 1": ids match`,
			`f.yaml:10: broadcast: want a text, like {grid: lianhua, text: 今晚八点消防演练}`,
			`f.yaml:11: broadcast grid "a b": ids match`,
		}},
		{"out of order", "steps:\n  - {at: 2s, device: a, event: x.y}\n  - {at: 1s, device: a, event: x.y}\n",
			[]string{"f.yaml:3: at 1s is earlier than the step before (2s)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tc.src))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("missing %q in:\n%v", w, err)
				}
			}
			if len(pe.Problems) != len(tc.want) {
				t.Errorf("%d problems, want %d:\n%v", len(pe.Problems), len(tc.want), err)
			}
		})
	}
}

func TestCheckAgainstRegistry(t *testing.T) {
	reg, err := registry.Parse("r.yaml", []byte(`grids: [{id: g, name: G, level: 4}]
staff: [{id: wang, name: W, role: grid_member, grids: [g]}]
devices:
  - {id: lb-1, kind: lightbox, grid: g}
  - {id: rd-1, kind: reader, grid: g, osdp: {port: /dev/ttyS0, address: 1}}
`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse("s.yaml", []byte(`steps:
  - {device: lb-1, event: button.pressed}
  - {device: lb-9, event: button.pressed}
  - {phone: zhao, expect: {device: lb-8}}
  - {phone: wang, reply: ack}
  - {device: rd-1, event: card.read}
  - {device: rd-1, expect: {cmd: unlock}}
  - {device: lb-1, expect: {cmd: strobe}}
  - {broadcast: {grid: gg, text: hi}}
  - {broadcast: {grid: g, text: hi}}
`))
	if err != nil {
		t.Fatal(err)
	}
	err = s.Check(reg)
	for _, w := range []string{"s.yaml:3: device lb-9 is not in the registry", "s.yaml:4: phone zhao is not a staff member", "s.yaml:4: expected device lb-8",
		"s.yaml:7: device rd-1 is wired to a serial line (OSDP or Modbus): its commands do not go over MQTT",
		"s.yaml:9: broadcast grid gg is not in the registry"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Check = %v, want %q", err, w)
		}
	}
	if strings.Count(err.Error(), "\n") != 4 {
		t.Errorf("want exactly 5 problems:\n%v", err)
	}
}
