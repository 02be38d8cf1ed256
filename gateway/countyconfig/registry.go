package countyconfig

import (
	"errors"

	"go.yaml.in/yaml/v3"

	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/problem"
)

// buildRegistry makes the county's registry of its staff and cells, so
// that logins and the permission table work as on a gateway. Without
// grids the county is one cell named for it; staff without grids serve
// every root cell.
func (c *Config) buildRegistry(path string, at func(key, format string, args ...any) problem.Problem) []problem.Problem {
	grids := c.Grids
	if grids.Kind == 0 {
		grids = yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{mapping(
			"id", scalar(c.County), "name", scalar(c.County), "level", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"})}}
	}
	cells, err := registry.ParseNode(path, mapping("grids", &grids))
	if err != nil {
		return problemsOf(err)
	}
	var roots []*yaml.Node
	for _, g := range cells.Grids() {
		if g.Parent == "" {
			roots = append(roots, scalar(g.ID))
		}
	}
	staff := c.Staff
	if staff.Kind == 0 {
		if !c.AuthEnabled() || len(c.HTTP.Users) > 0 || len(c.HTTP.Tokens) > 0 {
			c.registry = cells
			return nil
		}
		return []problem.Problem{at("staff", "required: the county's command centre and police, who log in (or http.users / http.tokens)")}
	}
	if staff.Kind == yaml.SequenceNode {
		for _, m := range staff.Content {
			if m.Kind == yaml.MappingNode && value(m, "grids") == nil {
				m.Content = append(m.Content, scalar("grids"), &yaml.Node{Kind: yaml.SequenceNode, Content: roots})
			}
		}
	}
	reg, err := registry.ParseNode(path, mapping("grids", &grids, "staff", &staff))
	if err != nil {
		return problemsOf(err)
	}
	var probs []problem.Problem
	for _, s := range reg.StaffList() {
		if s.Role != registry.CommandCenter && s.Role != registry.Police {
			p := at("staff", "staff %s: role %q: the county's staff are %s or %s", s.ID, s.Role, registry.CommandCenter, registry.Police)
			for _, m := range staff.Content {
				if id := value(m, "id"); id != nil && id.Value == s.ID {
					if r := value(m, "role"); r != nil {
						p.Line = r.Line
					}
				}
			}
			probs = append(probs, p)
		}
	}
	c.registry = reg
	return probs
}

func problemsOf(err error) []problem.Problem {
	if errs, ok := errors.AsType[*problem.Errors](err); ok {
		return errs.Problems
	}
	return []problem.Problem{{Msg: err.Error()}}
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

// mapping builds a mapping node of key, value pairs.
func mapping(kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		v, _ := kv[i+1].(*yaml.Node)
		m.Content = append(m.Content, scalar(k), v)
	}
	return m
}

// value is the value of key in mapping node m, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
