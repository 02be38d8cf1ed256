package engine

import "go.yaml.in/yaml/v3"

// keys is the shape of a mapping a rule file may hold: its known keys,
// and for those that are mappings (or lists of mappings) themselves, their
// shape.
type keys map[string]keys

var (
	ruleKeys = keys{"id": nil, "types": nil, "kinds": nil, "devices": nil, "grids": nil, "when": nil,
		"severity": nil, "title": nil, "clears": nil, "for": nil,
		"count":        {"at_least": nil, "within": nil, "by": nil},
		"sequence":     {"then": nil, "within": nil, "by": nil},
		"absence":      {"factor": nil, "after": nil},
		"flap":         {"at_most": nil, "within": nil, "severity": nil, "title": nil},
		"inhibited_by": {"rules": nil, "scope": nil},
		"commands":     {"to": nil, "cmd": nil, "args": nil},
	}
	silenceKeys = keys{"id": nil, "reason": nil, "devices": nil, "grids": nil, "rules": nil, "test": nil,
		"from": nil, "until": nil, "every": {"weekdays": nil, "from": nil, "until": nil}}
	caseKeys = keys{"name": nil, "start": nil, "until": nil,
		"events": {"at": nil, "device": nil, "type": nil, "data": nil, "ts": nil, "source": nil},
		"expect": {"at": nil, "rule": nil, "device": nil, "severity": nil, "title": nil, "clear": nil, "muted": nil, "test": nil, "commands": nil},
	}
)

// strict reports every key of n (and of its nested mappings) that shape
// does not know, with its line.
func (p *parser) strict(n *yaml.Node, shape keys, subject string) {
	switch n.Kind {
	case yaml.SequenceNode:
		for _, item := range n.Content {
			p.strict(item, shape, subject)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			sub, ok := shape[k.Value]
			if !ok {
				p.add(k.Line, subject, "unknown key %q", k.Value)
				continue
			}
			if sub != nil {
				p.strict(v, sub, subject)
			}
		}
	}
}
