package registry

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds how many YAML nodes one Parse visits, counting a node
// again for every alias that reaches it, so that anchors cannot make a
// small file expensive.
const maxNodes = 1 << 20

// decoder turns a registry file into entries, strictly, collecting every
// problem with its line instead of stopping at the first.
type decoder struct {
	file  string
	probs []Problem
	nodes int  // nodes visited so far
	over  bool // nodes passed maxNodes; decoding stopped
}

// spot is where one list entry came from: the subject used in its
// messages, its own line, and the line of every key it had ("grid",
// "location.lat"). Keys whose value did not decode are marked bad so that
// validation does not report them a second time.
type spot struct {
	subject string
	line    int
	at      map[string]int
	bad     map[string]bool
	broken  bool // not a mapping at all; left out of validation
}

// has reports whether the entry had key at all.
func (s *spot) has(key string) bool { _, ok := s.at[key]; return ok }

// good reports whether the entry had key and its value decoded.
func (s *spot) good(key string) bool { return s.has(key) && !s.bad[key] }

// lineOf is the line of key, or of the entry when it lacks the key.
func (s *spot) lineOf(key string) int {
	if l, ok := s.at[key]; ok {
		return l
	}
	return s.line
}

// entry is one decoded list item with where it came from.
type entry[T any] struct {
	v T
	spot
}

// doc is a registry file decoded but not yet validated.
type doc struct {
	grids   []entry[Grid]
	staff   []entry[Staff]
	devices []entry[Device]
	groups  []entry[Group]
	cards   []entry[Card]
	buses   []entry[Bus]
	// profiles are the site's Modbus profiles.
	profiles []entry[ModbusProfile]
}

func (d *decoder) add(line int, subject, format string, args ...any) {
	d.probs = append(d.probs, Problem{File: d.file, Line: line, Subject: subject, Msg: fmt.Sprintf(format, args...)})
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError reports an error of the YAML parser, keeping its line.
func (d *decoder) yamlError(err error) {
	if m := yamlLineErr.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		d.add(line, "", "%s", m[2])
		return
	}
	d.add(0, "", "%s", strings.TrimPrefix(err.Error(), "yaml: "))
}

// document parses data and decodes the top-level mapping.
func (d *decoder) document(data []byte) *doc {
	out := &doc{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if !errors.Is(err, io.EOF) {
			d.yamlError(err)
		}
		return out // an empty file is an empty registry
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		d.add(extra.Line, "", "a second YAML document; a registry file holds exactly one")
	case !errors.Is(err, io.EOF):
		d.yamlError(err)
	}
	top := &root
	if top.Kind == yaml.DocumentNode && len(top.Content) == 1 {
		top = top.Content[0]
	}
	if isNull(top) {
		return out
	}
	s := &spot{line: top.Line, at: map[string]int{}, bad: map[string]bool{}}
	d.mapping(top, s, "", func(k, v *yaml.Node) bool {
		switch k.Value {
		case "grids":
			return d.list(v, "grids", func(n *yaml.Node, i int) {
				if e := d.grid(n, i); !e.broken {
					out.grids = append(out.grids, e)
				}
			})
		case "staff":
			return d.list(v, "staff", func(n *yaml.Node, i int) {
				if e := d.staffMember(n, i); !e.broken {
					out.staff = append(out.staff, e)
				}
			})
		case "groups":
			return d.list(v, "groups", func(n *yaml.Node, i int) {
				if e := d.group(n, i); !e.broken {
					out.groups = append(out.groups, e)
				}
			})
		case "cards":
			return d.list(v, "cards", func(n *yaml.Node, i int) {
				if e := d.card(n, i); !e.broken {
					out.cards = append(out.cards, e)
				}
			})
		case "buses":
			return d.list(v, "buses", func(n *yaml.Node, i int) {
				if e := d.bus(n, i); !e.broken {
					out.buses = append(out.buses, e)
				}
			})
		case "modbus_profiles":
			return d.list(v, "modbus_profiles", func(n *yaml.Node, i int) {
				if e := d.modbusProfile(n, i); !e.broken {
					out.profiles = append(out.profiles, e)
				}
			})
		case "devices":
			return d.list(v, "devices", func(n *yaml.Node, i int) {
				if e := d.device(n, i); !e.broken {
					out.devices = append(out.devices, e)
				}
			})
		}
		d.add(k.Line, "", "unknown top-level field %q (want grids, staff, groups, cards, devices, buses, modbus_profiles)", k.Value)
		return false
	})
	return out
}

// deref follows an alias to its anchored node and counts the visit.
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	d.nodes++
	return n
}

// tooBig reports, once, that aliases expanded the document past maxNodes.
func (d *decoder) tooBig(line int) bool {
	if d.over {
		return true
	}
	if d.nodes <= maxNodes {
		return false
	}
	d.over = true
	d.add(line, "", "document too large: aliases expand it beyond %d nodes", maxNodes)
	return true
}

// list walks a top-level sequence and calls item for each element.
func (d *decoder) list(n *yaml.Node, name string, item func(n *yaml.Node, i int)) bool {
	n = d.deref(n)
	if isNull(n) {
		return true
	}
	if n.Kind != yaml.SequenceNode {
		d.add(n.Line, "", "%s: want a list, got a %s", name, kindName(n))
		return false
	}
	for i, c := range n.Content {
		if d.tooBig(c.Line) {
			return false
		}
		item(c, i)
	}
	return true
}

// mapping walks mapping n. It reports a value that is not a mapping and
// duplicate keys, and calls set for each key; set decodes the value (or
// reports the key unknown) and says whether it succeeded. mapping records
// the line of each key in s under prefix+key.
func (d *decoder) mapping(n *yaml.Node, s *spot, prefix string, set func(k, v *yaml.Node) bool) bool {
	n = d.deref(n)
	if n.Kind != yaml.MappingNode {
		what := "want a mapping"
		if prefix != "" {
			what = strings.TrimSuffix(prefix, ".") + ": " + what
		}
		d.add(n.Line, s.subject, "%s, got a %s", what, kindName(n))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.deref(n.Content[i]), n.Content[i+1]
		if d.tooBig(k.Line) {
			return false
		}
		if k.Kind != yaml.ScalarNode {
			d.add(k.Line, s.subject, "%skeys must be plain names, got a %s", prefix, kindName(k))
			continue
		}
		key := prefix + k.Value
		if k.Value == "<<" {
			d.add(k.Line, s.subject, "%smerge keys (<<) are not supported", prefix)
			continue
		}
		if seen[k.Value] {
			d.add(k.Line, s.subject, "field %q given twice", key)
			continue
		}
		seen[k.Value] = true
		s.at[key] = k.Line
		if !set(k, v) {
			s.bad[key] = true
		}
	}
	return true
}
