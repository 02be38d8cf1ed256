package yamlstrict

import (
	"strings"
	"testing"
	"time"
)

type inner struct {
	Port  int           `yaml:"port"`
	After time.Duration `yaml:"after"`
}

type pass struct{ Password string }

func (p *pass) UnmarshalScalar(s string) error { p.Password = s; return nil }

type many []inner

func (many) YAMLListOfOne() {}

type top struct {
	Name  string            `yaml:"name"`
	On    *bool             `yaml:"on"`
	Rate  float64           `yaml:"rate"`
	In    inner             `yaml:"in"`
	List  []inner           `yaml:"list"`
	Map   map[string]string `yaml:"map"`
	User  pass              `yaml:"user"`
	Many  many              `yaml:"many"`
	When  time.Time         `yaml:"when"`
	Free  map[string]any    `yaml:"free"`
	List2 []inner           `yaml:"list2"`
	Alias []inner           `yaml:"alias"`
	Skip  string            `yaml:"-"`
	//lint:ignore U1000 never set: the test shows the decoder does not reach unexported fields
	plain string
}

func decode(t *testing.T, src string) (top, *Decoder) {
	t.Helper()
	v := top{Name: "default"}
	d := &Decoder{File: "f.yaml", DateZone: time.FixedZone("CST", 8*3600)}
	if n := d.Parse([]byte(src), "a test file"); n != nil {
		d.Decode(n, &v, "")
	}
	return v, d
}

func TestDecodeReportsEveryProblemWithLineAndPath(t *testing.T) {
	src := `name: x
on: sometimes
rate: fast
in: {port: 8080x, after: 10, colour: red}
list:
  - {port: 1}
  - port: [2]
map: {a: b, a: c}
many: {port: 3}
when: yesterday
"-": x
plain: y
<<: {name: z}
extra: 1
`
	_, d := decode(t, src)
	var got []string
	for _, p := range d.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`f.yaml:2: on: want true or false, got "sometimes"`,
		`f.yaml:3: rate: want a number, got "fast"`,
		`f.yaml:4: in.port: want a whole number, got "8080x"`,
		`f.yaml:4: in.after: want a duration like "90s" or "10m", got "10"`,
		`f.yaml:4: in: unknown field "colour" (want port, after)`,
		`f.yaml:7: list[1].port: want a single value, got a list`,
		`f.yaml:8: map.a: given twice`,
		`f.yaml:10: when: want a date like 2026-01-31 or an RFC 3339 time, got "yesterday"`,
		`f.yaml:11: unknown field "-"`,
		`f.yaml:12: unknown field "plain"`,
		`f.yaml:13: merge keys (<<) are not supported`,
		`f.yaml:14: unknown field "extra"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDecodeSetsValuesAndLines(t *testing.T) {
	src := `in: {port: 8080, after: 90s}
list: [{port: 1}, {port: 2}]
on: ~
user: secret
many: {port: 3}
when: 2026-01-31
free: {a: [1, x]}
map: {k: v}
list2: &l [{port: 5}]
alias: *l
`
	v, d := decode(t, src)
	if len(d.Problems) > 0 {
		t.Fatalf("problems: %v", d.Problems)
	}
	if v.Name != "default" || v.On != nil {
		t.Errorf("absent and null keys changed the defaults: name %q on %v", v.Name, v.On)
	}
	if v.In.Port != 8080 || v.In.After != 90*time.Second || len(v.List) != 2 || v.List[1].Port != 2 {
		t.Errorf("decoded %+v", v)
	}
	if v.User.Password != "secret" || len(v.Many) != 1 || v.Many[0].Port != 3 || v.Map["k"] != "v" {
		t.Errorf("shorthands decoded %+v", v)
	}
	if want := time.Date(2026, 1, 31, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)); !v.When.Equal(want) {
		t.Errorf("when %v, want %v", v.When, want)
	}
	if _, ok := v.Free["a"].([]any); !ok {
		t.Errorf("free %#v", v.Free)
	}
	for key, line := range map[string]int{"in": 1, "in.port": 1, "list[1]": 2, "list[1].port": 2, "user": 4, "map.k": 8, "alias": 10, "alias[0].port": 10} {
		if d.Lines[key] != line {
			t.Errorf("line of %s = %d, want %d", key, d.Lines[key], line)
		}
	}
	if len(v.Alias) != 1 || v.Alias[0].Port != 5 {
		t.Errorf("alias decoded %+v", v.Alias)
	}
	if _, ok := d.Lines["on"]; ok {
		t.Error("a null key has a line; it set nothing")
	}
}

func TestParseRejectsSecondDocumentAndSyntax(t *testing.T) {
	for src, want := range map[string]string{
		"name: a\n---\nname: b\n": "f.yaml:2: a second YAML document; a test file holds exactly one",
		"name: [a\n":              "f.yaml:1: did not find expected ',' or ']'",
	} {
		_, d := decode(t, src)
		if len(d.Problems) == 0 || !strings.HasPrefix(d.Problems[0].String(), want) {
			t.Errorf("%q: problems %v, want %q", src, d.Problems, want)
		}
	}
}

func TestAliasesCannotBlowUp(t *testing.T) {
	src := "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\nmap: {k: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]}\n"
	d := &Decoder{File: "f.yaml", MaxNodes: 1000}
	var v struct {
		A, B, C, D any                  `yaml:"a"`
		Map        map[string][][][]any `yaml:"map"`
	}
	d.Decode(d.Parse([]byte(src), "x"), &v, "")
	if !d.Over() {
		t.Fatalf("decoded 100000 nodes under a budget of 1000; problems %v", d.Problems)
	}
}
