package rulefile

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/gridwatch/gridwatch/gateway/registry"
	input "github.com/gridwatch/gridwatch/internal/problem"
	"github.com/gridwatch/gridwatch/internal/yamlstrict"
	"github.com/gridwatch/gridwatch/rules/silence"
)

// File is a parsed and checked rule file: its rules and the test cases it
// carries.
type File struct {
	Name  string `yaml:"-"`
	Rules []Rule `yaml:"rules"`
	// Silences are maintenance windows and test modes declared with the
	// rules; the engine takes them with the rules.
	Silences []silence.Silence `yaml:"silences,omitempty"`
	Tests    []Case            `yaml:"tests,omitempty"`
	// Fixture is the registry the test cases run against, written in the
	// file under fixture: (the registry file's format): with one, the
	// cases pass or fail the same on every site, whatever the site's own
	// registry holds. Nil when the file has none: its cases then run
	// against the registry the runner is given (the site's, on a reload).
	Fixture *registry.Registry `yaml:"-"`
}

// Problem is one thing wrong with a rule file (Subject is the rule's id,
// or the test's name; it may be empty).
type Problem = input.Problem

// Errors is every problem of one rule file, in line order; ParseFile
// returns it as *Errors.
type Errors = input.Errors

// Load reads and parses the rule file at path, or the built-in set for
// "".
func Load(path string) (*File, error) {
	if path == "" {
		return BuiltinFile()
	}
	return LoadFile(path)
}

// LoadFile reads and parses a rule file.
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rule file: %w", err)
	}
	return ParseFile(path, data)
}

// ParseFile decodes a rule file strictly (unknown keys, wrong types and
// bad values are all errors) and checks every rule as Check does (grids
// are not looked up in a registry). It reports every
// problem at once as *Errors, each with its line and rule id.
func ParseFile(name string, data []byte) (*File, error) {
	p := &parser{file: name}
	f := p.parse(data)
	if len(p.probs) > 0 {
		sort.SliceStable(p.probs, func(i, j int) bool { return p.probs[i].Line < p.probs[j].Line })
		return nil, &Errors{Problems: p.probs}
	}
	f.Name = name
	return f, nil
}

type parser struct {
	file  string
	dec   *yamlstrict.Decoder
	probs []Problem
}

func (p *parser) add(line int, rule, format string, args ...any) {
	p.probs = append(p.probs, Problem{File: p.file, Line: line, Subject: rule, Msg: fmt.Sprintf(format, args...)})
}

// decode decodes item into out strictly; the problems, if any, are
// reported under subject with their key path. It returns the line of each
// key path and the top-level keys that had problems ("" for an unknown
// key beside them), whose values checks should not judge again.
func (p *parser) decode(item *yaml.Node, out any, subject string) (lines map[string]int, bad map[string]bool) {
	before := len(p.dec.Problems)
	p.dec.Lines = nil
	p.dec.Decode(item, out, "")
	bad = map[string]bool{}
	for _, pr := range p.dec.Problems[before:] {
		top, _, _ := strings.Cut(pr.Subject, ".")
		top, _, _ = strings.Cut(top, "[")
		bad[top] = true
		if pr.Subject != "" {
			pr.Msg = pr.Subject + ": " + pr.Msg
		}
		pr.Subject = subject
		p.probs = append(p.probs, pr)
	}
	return p.dec.Lines, bad
}

// judged reports whether checks may run on a mapping whose decoding had
// problems at the top-level keys in bad: none, or only unknown keys.
func judged(bad map[string]bool) bool { return len(bad) == 0 || len(bad) == 1 && bad[""] }

func (p *parser) parse(data []byte) *File {
	f := &File{}
	p.dec = &yamlstrict.Decoder{File: p.file}
	root := p.dec.Parse(data, "a rule file")
	p.probs = append(p.probs, p.dec.Problems...)
	if root == nil {
		if len(p.probs) == 0 {
			p.add(0, "", "empty file: want a mapping with rules:")
		}
		return f
	}
	if root.Kind != yaml.MappingNode {
		p.add(root.Line, "", "want a mapping with rules: and tests:")
		return f
	}
	var top struct {
		Rules    *yaml.Node `yaml:"rules"`
		Silences *yaml.Node `yaml:"silences"`
		Tests    *yaml.Node `yaml:"tests"`
		Fixture  *yaml.Node `yaml:"fixture"`
	}
	p.decode(root, &top, "")
	if top.Rules == nil {
		p.add(root.Line, "", "no rules:")
		return f
	}
	f.Rules = p.rules(top.Rules)
	if top.Silences != nil {
		f.Silences = p.silences(top.Silences)
	}
	if top.Fixture != nil {
		f.Fixture = p.fixture(top.Fixture)
	}
	if top.Tests != nil {
		f.Tests = p.tests(top.Tests, f.Rules, f.Fixture)
	}
	return f
}

// rules decodes and checks the rule list.
func (p *parser) rules(n *yaml.Node) []Rule {
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, "", "rules: want a list")
		return nil
	}
	var out []Rule
	seen := make(map[string]int)
	lineOf := make(map[int]map[string]int) // rule index → key → line
	for i, item := range n.Content {
		id := scalarKey(item, "id")
		subject := id
		if subject == "" {
			subject = fmt.Sprintf("rule %d", i)
		}
		if item.Kind != yaml.MappingNode {
			p.add(item.Line, subject, "want a mapping")
			continue
		}
		var r Rule
		lines, bad := p.decode(item, &r, subject)
		lineOf[len(out)] = lines
		_, probs := check(r, i)
		probs = slices.DeleteFunc(probs, func(pr problem) bool { return bad[pr.key] }) // decoding said it
		if first, dup := seen[r.ID]; dup && r.ID != "" {
			probs = append(probs, problem{"id", fmt.Errorf("duplicate id (first on line %d)", first)})
		} else {
			seen[r.ID] = lines["id"]
		}
		for _, pr := range probs {
			line, ok := lines[pr.key]
			if !ok {
				line = item.Line
			}
			msg, _, _ := strings.Cut(pr.err.Error(), "\n") // expr adds a picture of the position
			p.add(line, subject, "%s", msg)
		}
		out = append(out, r)
	}
	for _, sp := range setProblems(out) {
		p.add(lineOf[sp.index][sp.key], out[sp.index].ID, "%v", sp.err)
	}
	return out
}

// silences decodes and checks the silence list.
func (p *parser) silences(n *yaml.Node) []silence.Silence {
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, "", "silences: want a list")
		return nil
	}
	var out []silence.Silence
	for i, item := range n.Content {
		subject := scalarKey(item, "id")
		if subject == "" {
			subject = fmt.Sprintf("silence %d", i)
		}
		var s silence.Silence
		if _, bad := p.decode(item, &s, subject); !judged(bad) || item.Kind != yaml.MappingNode {
			continue
		}
		if _, err := silence.Compile(s); err != nil {
			for _, msg := range strings.Split(err.Error(), "\n") {
				p.add(item.Line, subject, "%s", msg)
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// fixture decodes the test cases' registry; its problems are the file's,
// each under "fixture" with the registry's own subject.
func (p *parser) fixture(n *yaml.Node) *registry.Registry {
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "fixture", "want a mapping with grids: and devices: (a registry)")
		return nil
	}
	reg, err := registry.ParseNode(p.file, n)
	var errs *registry.Errors
	switch {
	case errors.As(err, &errs):
		for _, pr := range errs.Problems {
			pr.File, pr.Subject = p.file, strings.TrimSpace("fixture "+pr.Subject)
			p.probs = append(p.probs, pr)
		}
		return nil
	case err != nil:
		p.add(n.Line, "fixture", "%v", err)
		return nil
	}
	return reg
}

// scalarKey returns the scalar value of key in mapping n, or "".
func scalarKey(n *yaml.Node, key string) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1].Value
		}
	}
	return ""
}
