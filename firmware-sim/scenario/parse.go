package scenario

import (
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/yamlstrict"
)

// ParseError lists every problem found in a scenario file, one
// "FILE:LINE: what" per entry, in line order.
type ParseError struct{ Problems []string }

// Error joins the problems, one per line.
func (e *ParseError) Error() string { return strings.Join(e.Problems, "\n") }

// Load reads and parses a scenario file.
func Load(path string) (*Script, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	return Parse(path, b)
}

// Parse parses a scenario; file names it in messages. It reports every
// problem at once.
func Parse(file string, data []byte) (*Script, error) {
	p := &parser{file: file}
	s := &Script{File: file}
	for _, n := range p.steps(data) {
		if st, ok := p.step(n); ok {
			if k := len(s.Steps); k > 0 && st.At < s.Steps[k-1].At {
				p.add(st.Line, "at %v is earlier than the step before (%v); steps run in file order", st.At, s.Steps[k-1].At)
			}
			s.Steps = append(s.Steps, st)
		}
	}
	if len(p.problems) == 0 && len(s.Steps) == 0 {
		p.add(0, "no steps")
	}
	if len(p.problems) > 0 {
		return nil, &ParseError{Problems: p.problems}
	}
	return s, nil
}

type parser struct {
	file     string
	dec      *yamlstrict.Decoder
	problems []string
}

func (p *parser) add(line int, format string, args ...any) {
	where := p.file
	if line > 0 {
		where += ":" + strconv.Itoa(line)
	}
	p.problems = append(p.problems, where+": "+fmt.Sprintf(format, args...))
}

// decoded moves the decoder's problems since before into p.
func (p *parser) decoded(before int) {
	for _, pr := range p.dec.Problems[before:] {
		msg := pr.Msg
		if pr.Subject != "" {
			msg = pr.Subject + ": " + msg
		}
		p.add(pr.Line, "%s", msg)
	}
}

// steps returns the items of the top-level "steps" list.
func (p *parser) steps(data []byte) []*yaml.Node {
	p.dec = &yamlstrict.Decoder{File: p.file}
	top := p.dec.Parse(data, "a scenario file")
	p.decoded(0)
	if top == nil {
		return nil
	}
	if top.Kind != yaml.MappingNode {
		p.add(top.Line, "want a mapping with a steps list")
		return nil
	}
	var f struct {
		Steps *yaml.Node `yaml:"steps"`
	}
	before := len(p.dec.Problems)
	p.dec.Decode(top, &f, "")
	p.decoded(before)
	if f.Steps == nil {
		return nil
	}
	if f.Steps.Kind != yaml.SequenceNode {
		p.add(f.Steps.Line, "steps: want a list")
		return nil
	}
	return f.Steps.Content
}

// stepKeys is how a step is written: the only list of a step's keys.
type stepKeys struct {
	At        time.Duration    `yaml:"at"`
	Device    string           `yaml:"device"`
	Event     string           `yaml:"event"`
	Data      map[string]any   `yaml:"data"`
	Telemetry *yaml.Node       `yaml:"telemetry"`
	Phone     string           `yaml:"phone"`
	Expect    *yaml.Node       `yaml:"expect"`      // a Match or, on a device, a CommandMatch
	None      *yaml.Node       `yaml:"expect_none"` // the same, turned around
	Within    time.Duration    `yaml:"within"`
	Reply     event.ActionKind `yaml:"reply"`
	Note      string           `yaml:"note"`
	Broadcast *BroadcastMsg    `yaml:"broadcast"`
}

// stepKeyNames are the keys of stepKeys, for messages.
var stepKeyNames = func() []string {
	t := reflect.TypeFor[stepKeys]()
	out := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		out = append(out, t.Field(i).Tag.Get("yaml"))
	}
	return out
}()

// step decodes one step; ok is false if it has problems (all reported).
func (p *parser) step(n *yaml.Node) (Step, bool) {
	st := Step{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "a step must be a mapping like {at: 0s, device: lb-0001, event: button.pressed}")
		return st, false
	}
	before := len(p.problems)
	var k stepKeys
	p.dec.Lines = nil
	decBefore := len(p.dec.Problems)
	p.dec.Decode(n, &k, "")
	for i := decBefore; i < len(p.dec.Problems); i++ {
		// Too many keys for the decoder's hint: a step names them.
		if pr := &p.dec.Problems[i]; pr.Subject == "" && strings.HasPrefix(pr.Msg, "unknown field ") && !strings.Contains(pr.Msg, "(want") {
			pr.Msg += " (want " + strings.Join(stepKeyNames, ", ") + ")"
		}
	}
	p.decoded(decBefore)
	lines := p.dec.Lines
	seen := map[string]bool{}
	for key := range lines {
		if !strings.ContainsAny(key, ".[") {
			seen[key] = true
		}
	}
	st.At, st.Within, st.Device, st.Event, st.Data = k.At, k.Within, k.Device, k.Event, k.Data
	st.Phone, st.Reply, st.Note = k.Phone, k.Reply, k.Note
	p.nonNegative("at", st.At, lines)
	p.nonNegative("within", st.Within, lines)
	p.id("device", st.Device, lines)
	p.id("phone", st.Phone, lines)
	if st.Event != "" && !wire.ValidType(st.Event) {
		p.add(lines["event"], "event %q: want a dotted lower-case type like button.pressed", st.Event)
	}
	if seen["reply"] && !st.Reply.Valid() {
		p.add(lines["reply"], "reply %q: want ack, arrive or resolve", st.Reply)
	}
	for _, e := range []struct {
		key  string
		n    *yaml.Node
		none bool
	}{{"expect", k.Expect, false}, {"expect_none", k.None, true}} {
		if e.n == nil {
			continue
		}
		st.None = e.none
		if !seen["device"] && !seen["phone"] {
			continue // shape says what is missing
		}
		if seen["device"] && !seen["phone"] {
			p.command(e.key, e.n, &st.Command, lines)
		} else {
			p.match(e.key, e.n, &st.Expect, lines)
		}
	}
	if k.Telemetry != nil {
		st.Telemetry = p.telemetry(k.Telemetry)
	}
	if b := k.Broadcast; b != nil {
		st.Broadcast = *b
		if strings.TrimSpace(b.Text) == "" {
			p.add(lines["broadcast"], "broadcast: want a text, like {grid: lianhua, text: 今晚八点消防演练}")
		}
		if b.Grid != "" && !wire.ValidID(b.Grid) {
			p.add(lines["broadcast.grid"], "broadcast grid %q: ids match [A-Za-z0-9._-]{1,64}", b.Grid)
		}
	}
	if len(p.problems) > before {
		return st, false
	}
	p.shape(&st, seen)
	return st, len(p.problems) == before
}

// shape decides the step's kind and checks that its fields go together.
func (p *parser) shape(st *Step, seen map[string]bool) {
	var kinds []string
	for _, k := range []string{"event", "telemetry", "expect", "expect_none", "reply", "broadcast"} {
		if seen[k] {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != 1 {
		p.add(st.Line, "a step does exactly one of event, telemetry, expect, expect_none, reply or broadcast (found %d: %s)", len(kinds), strings.Join(kinds, ", "))
		return
	}
	expecting := kinds[0] == "expect" || kinds[0] == "expect_none"
	switch {
	case expecting && seen["phone"] && seen["device"]:
		p.add(st.Line, "an %s step names a phone (notifications it got) or a device (commands it got), not both", kinds[0])
		return
	case expecting && !seen["phone"] && !seen["device"]:
		p.add(st.Line, "an %s step needs a phone (notifications it got) or a device (commands it got)", kinds[0])
		return
	}
	allowed := map[string][]string{
		"event":       {"at", "device", "event", "data"},
		"telemetry":   {"at", "device", "telemetry"},
		"expect":      {"at", "phone", "expect", "within"},
		"expect_none": {"at", "phone", "expect_none", "within"},
		"reply":       {"at", "phone", "reply", "note"},
		"broadcast":   {"at", "broadcast"},
	}[kinds[0]]
	if expecting && seen["device"] {
		allowed[1] = "device"
	}
	for k := range seen {
		if !contains(allowed, k) {
			p.add(st.Line, "%s does not go with %s (a %s step takes %s)", k, kinds[0], kinds[0], strings.Join(allowed, ", "))
		}
	}
	switch kinds[0] {
	case "event":
		st.Kind = Publish
	case "telemetry":
		st.Kind = Telemetry
	case "expect", "expect_none":
		st.Kind = Expect
		if seen["device"] {
			st.Kind = ExpectCommand
		}
		if !seen["within"] {
			st.Within = DefaultWithin
		}
	case "reply":
		st.Kind = Reply
	case "broadcast":
		st.Kind = Broadcast
	}
	if (st.Kind == Publish || st.Kind == Telemetry) && st.Device == "" {
		p.add(st.Line, "%s step without device", kinds[0])
	}
	if st.Kind == Reply && st.Phone == "" {
		p.add(st.Line, "%s step without phone", kinds[0])
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) id(key, s string, lines map[string]int) {
	if s != "" && !wire.ValidID(s) {
		p.add(lines[key], "%s %q: ids match [A-Za-z0-9._-]{1,64}", strings.ReplaceAll(key, ".", " "), s)
	}
}

func (p *parser) nonNegative(key string, d time.Duration, lines map[string]int) {
	if d < 0 {
		p.add(lines[key], "%s %v: must not be negative", key, d)
	}
}

// match decodes what a phone's expect or expect_none (key) names.
func (p *parser) match(key string, n *yaml.Node, m *Match, lines map[string]int) {
	before := len(p.dec.Problems)
	p.dec.Decode(n, m, key)
	p.decoded(before)
	p.id(key+".device", m.Device, lines)
	if m.Severity != "" && !m.Severity.Valid() {
		p.add(lines[key+".severity"], "%s severity %q: want red, orange, yellow or blue", key, m.Severity)
	}
	if m.Step != nil && *m.Step < 0 {
		p.add(lines[key+".step"], "%s step %d: want 0, 1, 2...", key, *m.Step)
	}
	if m.Kind != "" && m.Kind != KindAlarm && m.Kind != KindBroadcast {
		p.add(lines[key+".kind"], "%s kind %q: want alarm or broadcast", key, m.Kind)
	}
}

// command decodes what a device's expect or expect_none (key) names.
func (p *parser) command(key string, n *yaml.Node, m *CommandMatch, lines map[string]int) {
	before := len(p.dec.Problems)
	p.dec.Decode(n, m, key)
	p.decoded(before)
	if m.Cmd != "" && !fieldName(m.Cmd) {
		p.add(lines[key+".cmd"], "%s cmd %q: want a command name like strobe or siren", key, m.Cmd)
	}
	for name := range m.Args {
		if !fieldName(name) {
			p.add(lines[key+".args"], "%s args: name %q: names use [A-Za-z0-9_]", key, name)
		}
	}
}
