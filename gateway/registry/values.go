package registry

// Decoding of single values and small collections, each reporting its
// own problems with the key it belongs to.

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// isNull reports whether n is a null value (~, null or nothing).
func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// kindName describes a node for messages: "mapping", "list", `value "x"`.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return fmt.Sprintf("value %q", n.Value)
	}
	return "node"
}

func (d *decoder) unknown(k *yaml.Node, s *spot, prefix string) bool {
	d.add(k.Line, s.subject, "unknown field %q", prefix+k.Value)
	return false
}

func (d *decoder) scalar(n *yaml.Node, s *spot, key string) (*yaml.Node, bool) {
	n = d.deref(n)
	if n.Kind != yaml.ScalarNode {
		d.add(n.Line, s.subject, "%s: want a single value, got a %s", key, kindName(n))
		return nil, false
	}
	return n, true
}

func (d *decoder) str(n *yaml.Node, s *spot, key string) (string, bool) {
	n, ok := d.scalar(n, s, key)
	if !ok || isNull(n) {
		return "", ok
	}
	return n.Value, true
}

func (d *decoder) int(n *yaml.Node, s *spot, key string) (int, bool) {
	n, ok := d.scalar(n, s, key)
	if !ok {
		return 0, false
	}
	var v int
	if n.Tag != "!!int" || n.Decode(&v) != nil {
		d.add(n.Line, s.subject, "%s: want a whole number, got %q", key, n.Value)
		return 0, false
	}
	return v, true
}

func (d *decoder) float(n *yaml.Node, s *spot, key string) (float64, bool) {
	n, ok := d.scalar(n, s, key)
	if !ok {
		return 0, false
	}
	var v float64
	if (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&v) != nil {
		d.add(n.Line, s.subject, "%s: want a number, got %q", key, n.Value)
		return 0, false
	}
	return v, true
}

func (d *decoder) duration(n *yaml.Node, s *spot, key string) (time.Duration, bool) {
	n, ok := d.scalar(n, s, key)
	if !ok {
		return 0, false
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		d.add(n.Line, s.subject, "%s: want a duration like \"30s\", got %q", key, n.Value)
		return 0, false
	}
	return v, true
}

// strs decodes a list of single values.
func (d *decoder) strs(n *yaml.Node, s *spot, key string) ([]string, bool) {
	n = d.deref(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		d.add(n.Line, s.subject, "%s: want a list, got a %s", key, kindName(n))
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if d.tooBig(c.Line) {
			return nil, false
		}
		v, ok := d.str(c, s, key)
		if !ok {
			return nil, false // one message per list is enough
		}
		out = append(out, v)
	}
	return out, true
}

// strMap decodes a mapping of names to single values.
func (d *decoder) strMap(n *yaml.Node, s *spot, key string) (map[string]string, bool) {
	if n = d.deref(n); isNull(n) {
		return nil, true
	}
	out := map[string]string{}
	ok := d.mapping(n, s, key+".", func(k, v *yaml.Node) bool {
		val, good := d.str(v, s, key+"."+k.Value)
		out[k.Value] = val
		return good
	})
	for k := range out {
		ok = ok && !s.bad[key+"."+k]
	}
	return out, ok
}
