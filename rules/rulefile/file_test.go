package rulefile

import (
	"errors"
	"strings"
	"testing"
)

func TestParseFileReportsEveryProblem(t *testing.T) {
	src := `rules:
  - id: ok
    types: [door.forced]
    severity: orange
    title: "{{device}} 门"
  - id: bad-sev
    types: [door.*]
    severity: purple
    title: "{{person}}"
  - id: ok
    types: ["door.[", ""]
    severity: red
    title: t
    colour: red
  - id: cnt
    types: [access.denied]
    severity: orange
    title: t
    count: {at_least: 0, within: -1s, by: "data.card +"}
  - id: dur
    types: [a.b]
    severity: red
    title: t
    count: {at_least: 2, within: soon}
  - id: abs
    absence: {factor: 2, colour: x}
  - id: abs2
    severity: red
    absence: {factor: 0.5}
  - id: when
    types: [a.b]
    severity: red
    title: t
    when: "data.score >"
    kinds: [toaster]
    devices: ["bad id!"]
  - id: seq
    types: [a.b]
    severity: red
    title: t
    sequence: {then: [a.b], within: 0s}
  - types: [a.b]
    severity: red
    title: t
tests:
  - name: t1
    events:
      - {at: 0s, device: x}
    expect:
      - {rule: nope, device: x, when: now}
`
	_, err := ParseFile("site.yaml", []byte(src))
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("ParseFile error %v, want *Errors", err)
	}
	want := []string{
		`site.yaml:8: bad-sev: severity "purple"`,
		`site.yaml:9: bad-sev: title "{{person}}": unknown placeholder`,
		`site.yaml:10: ok: duplicate id (first on line 2)`,
		`site.yaml:11: ok: event type "door.[": bad glob`,
		`site.yaml:11: ok: empty event type`,
		`site.yaml:14: ok: unknown field "colour"`,
		`site.yaml:19: cnt: count at_least 0`,
		`site.yaml:19: cnt: count within -1s`,
		`site.yaml:19: cnt: by "data.card +"`,
		`site.yaml:24: dur: count.within: duration "soon"`,
		`site.yaml:26: abs: absence: unknown field "colour"`,
		`site.yaml:29: abs2: absence factor 0.5: want 1.0 to 1.5`,
		`site.yaml:29: abs2: an absence rule raises nothing itself`,
		`site.yaml:34: when: when "data.score >"`,
		`site.yaml:35: when: device kind "toaster"`,
		`site.yaml:36: when: device id "bad id!"`,
		`site.yaml:41: seq: sequence: "a.b" both starts and ends it`,
		`site.yaml:41: seq: sequence within 0s`,
		`site.yaml:42: rule 9: empty id`,
		`site.yaml:50: test t1: expect[0]: unknown field "when"`,
	}
	got := err.Error()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("errors do not say %q", w)
		}
	}
	if t.Failed() {
		t.Logf("errors:\n%s", got)
	}
}

func TestParseFileRejectsShape(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"empty", "", "empty file"},
		{"syntax", "rules: [\n  - {id: a", "f.yaml:"},
		{"not a mapping", "- a\n- b\n", "want a mapping"},
		{"no rules", "tests: []\n", "no rules:"},
		{"unknown top key", "rules: []\nrulez: []\n", `f.yaml:2: unknown field "rulez"`},
		{"wrong type names its key", "rules:\n  - {id: a, count: {at_least: many}}\n", `f.yaml:2: a: count.at_least: want a whole number, got "many"`},
		{"inhibition of one, strictly", "rules:\n  - {id: a, inhibited_by: {rules: [b], scop: grid}}\n", `f.yaml:2: a: inhibited_by: unknown field "scop"`},
		{"key given twice", "rules:\n  - id: a\n    id: b\n", `f.yaml:3: a: id: given twice`},
		{"rules not a list", "rules: {a: b}\n", "rules: want a list"},
		{"rule not a mapping", "rules: [x]\n", "rule 0: want a mapping"},
		{"silence not a mapping", "rules: []\nsilences: [x]\n", `f.yaml:2: silence 0: want a mapping, got "x"`},
		{"case refers to nothing", "rules: []\ntests:\n  - {name: n, events: [{at: 0s, device: d, type: t}], expect: [{rule: r, device: d}]}\n",
			`test n: expect 0: no rule "r"`},
		{"case without events", "rules: []\ntests:\n  - {name: n, start: yesterday}\n", `test n: start "yesterday"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFile("f.yaml", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseFile error %v, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestBuiltinIsFreshEachCall(t *testing.T) {
	a := Builtin()
	a[0].Types[0] = "changed"
	if b := Builtin(); b[0].Types[0] == "changed" {
		t.Fatal("Builtin shares its slices between calls")
	}
}
