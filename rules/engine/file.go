package engine

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	input "github.com/gridwatch/gridwatch/internal/problem"

	"go.yaml.in/yaml/v3"
)

// File is a parsed and checked rule file: its rules and the test cases it
// carries.
type File struct {
	Name  string `yaml:"-"`
	Rules []Rule `yaml:"rules"`
	// Silences are maintenance windows and test modes declared with the
	// rules; pass them as Config.Silences.
	Silences []Silence `yaml:"silences,omitempty"`
	Tests    []Case    `yaml:"tests,omitempty"`
}

// Problem is one thing wrong with a rule file (Subject is the rule's id,
// or the test's name; it may be empty).
type Problem = input.Problem

// Errors is every problem of one rule file, in line order; ParseFile
// returns it as *Errors.
type Errors = input.Errors

// LoadFile reads and parses a rule file.
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rule file: %w", err)
	}
	return ParseFile(path, data)
}

// ParseFile decodes a rule file strictly (unknown keys, wrong types and
// bad values are all errors) and checks every rule as Compile would,
// except that grids are not looked up in a registry. It reports every
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
	probs []Problem
}

func (p *parser) add(line int, rule, format string, args ...any) {
	p.probs = append(p.probs, Problem{File: p.file, Line: line, Subject: rule, Msg: fmt.Sprintf(format, args...)})
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlErr reports an error of the YAML library, keeping its line.
func (p *parser) yamlErr(rule string, line int, err error) {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, m := range msgs {
		if sub := yamlLine.FindStringSubmatch(m); sub != nil {
			l, _ := strconv.Atoi(sub[1])
			p.add(l, rule, "%s", sub[2])
			continue
		}
		p.add(line, rule, "%s", strings.TrimPrefix(m, "yaml: "))
	}
}

func (p *parser) parse(data []byte) *File {
	f := &File{}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.yamlErr("", 0, err)
		return f
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		p.add(0, "", "empty file: want a mapping with rules:")
		return f
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.add(root.Line, "", "want a mapping with rules: and tests:")
		return f
	}
	var rulesNode, testsNode, silencesNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "rules":
			rulesNode = v
		case "tests":
			testsNode = v
		case "silences":
			silencesNode = v
		default:
			p.add(k.Line, "", "unknown key %q (want rules, silences, tests)", k.Value)
		}
	}
	if rulesNode == nil {
		p.add(root.Line, "", "no rules:")
		return f
	}
	f.Rules = p.rules(rulesNode)
	if silencesNode != nil {
		f.Silences = p.silences(silencesNode)
	}
	if testsNode != nil {
		f.Tests = p.tests(testsNode, f.Rules)
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
		lines := keyLines(item)
		lineOf[len(out)] = lines
		p.strict(item, ruleKeys, subject)
		var r Rule
		if err := item.Decode(&r); err != nil {
			p.yamlErr(subject, item.Line, err)
			continue // compile would only repeat what decoding found
		}
		_, probs := compile(r, i)
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
func (p *parser) silences(n *yaml.Node) []Silence {
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, "", "silences: want a list")
		return nil
	}
	var out []Silence
	for i, item := range n.Content {
		subject := scalarKey(item, "id")
		if subject == "" {
			subject = fmt.Sprintf("silence %d", i)
		}
		p.strict(item, silenceKeys, subject)
		var s Silence
		if err := item.Decode(&s); err != nil {
			p.yamlErr(subject, item.Line, err)
			continue
		}
		if _, err := compileSilence(s); err != nil {
			for _, msg := range strings.Split(err.Error(), "\n") {
				p.add(item.Line, subject, "%s", msg)
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// keyLines maps each key of a mapping to its line.
func keyLines(n *yaml.Node) map[string]int {
	m := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = n.Content[i].Line
	}
	return m
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
