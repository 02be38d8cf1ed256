package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
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
	problems []string
}

func (p *parser) add(line int, format string, args ...any) {
	where := p.file
	if line > 0 {
		where += ":" + strconv.Itoa(line)
	}
	p.problems = append(p.problems, where+": "+fmt.Sprintf(format, args...))
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// steps returns the items of the top-level "steps" list.
func (p *parser) steps(data []byte) []*yaml.Node {
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			p.add(line, "%s", m[2])
		} else {
			p.add(0, "%v", err)
		}
		return nil
	}
	top := &root
	if top.Kind == yaml.DocumentNode && len(top.Content) == 1 {
		top = top.Content[0]
	}
	if top.Kind != yaml.MappingNode {
		p.add(top.Line, "want a mapping with a steps list")
		return nil
	}
	var list *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if k.Value != "steps" {
			p.add(k.Line, "unknown top-level field %q (want steps)", k.Value)
			continue
		}
		if v.Kind != yaml.SequenceNode {
			p.add(v.Line, "steps: want a list")
			continue
		}
		list = v
	}
	if list == nil {
		return nil
	}
	return list.Content
}

// step decodes one step; ok is false if it has problems (all reported).
func (p *parser) step(n *yaml.Node) (Step, bool) {
	st := Step{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "a step must be a mapping like {at: 0s, device: lb-0001, event: button.pressed}")
		return st, false
	}
	before := len(p.problems)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			p.add(k.Line, "%s given twice", k.Value)
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "at":
			st.At = p.duration(k.Value, v)
		case "within":
			st.Within = p.duration(k.Value, v)
		case "device":
			st.Device = p.id(k.Value, v)
		case "phone":
			st.Phone = p.id(k.Value, v)
		case "event":
			if st.Event = p.scalar(k.Value, v); st.Event != "" && !wire.ValidType(st.Event) {
				p.add(v.Line, "event %q: want a dotted lower-case type like button.pressed", st.Event)
			}
		case "reply":
			st.Reply = event.ActionKind(p.scalar(k.Value, v))
			if !st.Reply.Valid() {
				p.add(v.Line, "reply %q: want ack, arrive or resolve", st.Reply)
			}
		case "note":
			st.Note = p.scalar(k.Value, v)
		case "data":
			st.Data = p.object(k.Value, v)
		case "telemetry":
			st.Telemetry = p.telemetry(v)
		case "expect":
			st.Expect = p.match(v)
		default:
			p.add(k.Line, "unknown field %q (want at, device, event, data, telemetry, phone, expect, within, reply, note)", k.Value)
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
	for _, k := range []string{"event", "telemetry", "expect", "reply"} {
		if seen[k] {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != 1 {
		p.add(st.Line, "a step does exactly one of event, telemetry, expect or reply (found %d: %s)", len(kinds), strings.Join(kinds, ", "))
		return
	}
	allowed := map[string][]string{
		"event":     {"at", "device", "event", "data"},
		"telemetry": {"at", "device", "telemetry"},
		"expect":    {"at", "phone", "expect", "within"},
		"reply":     {"at", "phone", "reply", "note"},
	}[kinds[0]]
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
	case "expect":
		st.Kind = Expect
		if !seen["within"] {
			st.Within = DefaultWithin
		}
	case "reply":
		st.Kind = Reply
	}
	if (st.Kind == Publish || st.Kind == Telemetry) && st.Device == "" {
		p.add(st.Line, "%s step without device", kinds[0])
	}
	if (st.Kind == Expect || st.Kind == Reply) && st.Phone == "" {
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

func (p *parser) scalar(key string, v *yaml.Node) string {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		p.add(v.Line, "%s: want a single value", key)
		return ""
	}
	return v.Value
}

func (p *parser) id(key string, v *yaml.Node) string {
	s := p.scalar(key, v)
	if s != "" && !wire.ValidID(s) {
		p.add(v.Line, "%s %q: ids match [A-Za-z0-9._-]{1,64}", key, s)
	}
	return s
}

func (p *parser) duration(key string, v *yaml.Node) time.Duration {
	s := p.scalar(key, v)
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		p.add(v.Line, "%s %q: want a duration like 1.5s or 200ms", key, s)
	case d < 0:
		p.add(v.Line, "%s %v: must not be negative", key, d)
	}
	return d
}

func (p *parser) object(key string, v *yaml.Node) map[string]any {
	if v.Kind != yaml.MappingNode {
		p.add(v.Line, "%s: want a mapping", key)
		return nil
	}
	var m map[string]any
	if err := v.Decode(&m); err != nil {
		p.add(v.Line, "%s: %v", key, err)
	}
	return m
}
