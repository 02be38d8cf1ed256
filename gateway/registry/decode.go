package registry

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gridwatch/gridwatch/internal/yamlstrict"
)

// maxNodes bounds how many YAML nodes one Parse visits, counting a node
// again for every alias that reaches it, so that anchors cannot make a
// small file expensive.
const maxNodes = 1 << 20

// cst is the zone of a card's bare dates (2026-01-31 is midnight there).
var cst = time.FixedZone("CST", 8*3600)

// decoder turns a registry file into entries, strictly, collecting every
// problem with its line instead of stopping at the first. The structs'
// yaml tags are the only list of the keys a registry file may hold.
type decoder struct {
	file  string
	probs []Problem
	dec   *yamlstrict.Decoder
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
	// thresholds are the telemetry thresholds by device kind, with the
	// lines of their keys (relative to telemetry_thresholds).
	thresholds     map[Kind]map[string]Threshold
	thresholdsSpot spot
}

// lists is the shape of a registry file; each list is decoded on its own
// so that its entries get their own subjects.
type lists struct {
	Grids    *yaml.Node `yaml:"grids"`
	Staff    *yaml.Node `yaml:"staff"`
	Groups   *yaml.Node `yaml:"groups"`
	Cards    *yaml.Node `yaml:"cards"`
	Devices  *yaml.Node `yaml:"devices"`
	Buses    *yaml.Node `yaml:"buses"`
	Profiles *yaml.Node `yaml:"modbus_profiles"`
	// Thresholds are the telemetry thresholds by device kind.
	Thresholds *yaml.Node `yaml:"telemetry_thresholds"`
}

func (d *decoder) add(line int, subject, format string, args ...any) {
	d.probs = append(d.probs, Problem{File: d.file, Line: line, Subject: subject, Msg: fmt.Sprintf(format, args...)})
}

// document parses data and decodes its lists.
func (d *decoder) document(data []byte) *doc {
	d.dec = &yamlstrict.Decoder{File: d.file, MaxNodes: maxNodes, DateZone: cst}
	top := d.dec.Parse(data, "a registry file")
	d.probs = append(d.probs, d.dec.Problems...)
	d.dec.Problems = nil
	return d.lists(top)
}

// documentOf decodes the lists of a registry held in node top.
func (d *decoder) documentOf(top *yaml.Node) *doc {
	d.dec = &yamlstrict.Decoder{File: d.file, MaxNodes: maxNodes, DateZone: cst}
	return d.lists(top)
}

// lists decodes the lists of the registry's top node (nil: empty).
func (d *decoder) lists(top *yaml.Node) *doc {
	out := &doc{}
	var l lists
	if top != nil { // nil: an empty file is an empty registry
		d.dec.Decode(top, &l, "")
	}
	d.probs = append(d.probs, d.dec.Problems...)
	byID := func(id string) string {
		if ValidID(id) {
			return id
		}
		return ""
	}
	out.grids = entries(d, l.Grids, "grids", "grid", func(g *Grid) string { return byID(g.ID) })
	out.staff = entries(d, l.Staff, "staff", "staff", func(m *Staff) string { return byID(m.ID) })
	out.groups = entries(d, l.Groups, "groups", "group", func(g *Group) string { return byID(g.ID) })
	out.cards = entries(d, l.Cards, "cards", "card", func(c *Card) string { return c.Card })
	out.buses = entries(d, l.Buses, "buses", "bus", func(b *Bus) string { return b.Port })
	out.profiles = entries(d, l.Profiles, "modbus_profiles", "modbus profile", func(p *ModbusProfile) string { return byID(p.ID) })
	out.devices = entries(d, l.Devices, "devices", "device", func(dev *Device) string { return byID(dev.ID) })
	out.thresholds, out.thresholdsSpot = d.kindThresholds(l.Thresholds)
	return out
}

// kindThresholds decodes the file's telemetry_thresholds (by device kind)
// and gives its keys their lines.
func (d *decoder) kindThresholds(n *yaml.Node) (map[Kind]map[string]Threshold, spot) {
	const list = "telemetry_thresholds"
	s := spot{subject: list, at: map[string]int{}, bad: map[string]bool{}}
	if n == nil || d.dec.Over() {
		return nil, s
	}
	s.line = n.Line
	before := len(d.dec.Problems)
	d.dec.Lines = nil
	var m map[Kind]map[string]Threshold
	d.dec.Decode(n, &m, list)
	for key, line := range d.dec.Lines {
		if rest, ok := strings.CutPrefix(key, list+"."); ok {
			s.at[rest] = line
		}
	}
	for _, p := range d.dec.Problems[before:] {
		rest := strings.TrimPrefix(strings.TrimPrefix(p.Subject, list), ".")
		for k := rest; k != ""; {
			s.bad[k] = true
			i := strings.LastIndexByte(k, '.')
			if i < 0 {
				break
			}
			k = k[:i]
		}
		p.Msg, p.Subject = rest+": "+p.Msg, list
		if rest == "" {
			p.Msg = strings.TrimPrefix(p.Msg, ": ")
		}
		d.probs = append(d.probs, p)
	}
	d.dec.Problems = d.dec.Problems[:before]
	return m, s
}

// entries decodes the list n (named list in the file) and gives each
// element its spot: subject "KIND NAME", or "KIND #N" (1-based) when name
// gives "". Problems inside an element are reported under its subject
// with their key path; an element that is not a mapping is reported and
// left out.
func entries[T any](d *decoder, n *yaml.Node, list, kind string, name func(*T) string) []entry[T] {
	if n == nil || d.dec.Over() {
		return nil
	}
	before := len(d.dec.Problems)
	d.dec.Lines = nil
	var vs []T
	d.dec.Decode(n, &vs, list)
	out := make([]entry[T], len(vs))
	for i := range vs {
		subject := fmt.Sprintf("%s #%d", kind, i+1)
		if s := name(&vs[i]); s != "" {
			subject = kind + " " + s
		}
		out[i] = entry[T]{v: vs[i], spot: spot{subject: subject, at: map[string]int{}, bad: map[string]bool{}}}
	}
	for key, line := range d.dec.Lines {
		if i, rest, ok := element(key, list); ok && i < len(out) {
			if rest == "" {
				out[i].line = line
			} else {
				out[i].at[rest] = line
			}
		}
	}
	for _, p := range d.dec.Problems[before:] {
		i, rest, ok := element(p.Subject, list)
		if !ok || i >= len(out) { // the list itself
			p.Msg, p.Subject = p.Subject+": "+p.Msg, ""
			d.probs = append(d.probs, p)
			continue
		}
		s := &out[i].spot
		s.bad[rest] = true
		if j := strings.IndexByte(rest, '['); j > 0 {
			s.bad[rest[:j]] = true // a bad element spoils its list
		}
		if rest != "" {
			p.Msg = rest + ": " + p.Msg
		}
		p.Subject = s.subject
		d.probs = append(d.probs, p)
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) != len(out) {
		return nil
	}
	kept := out[:0]
	for i, c := range n.Content {
		if c := deref(c); c.Kind == yaml.MappingNode {
			kept = append(kept, out[i])
		} else if yamlstrict.IsNull(c) {
			d.add(c.Line, out[i].subject, "want a mapping, got nothing")
		}
	}
	return kept
}

// element splits a key path "devices[3].osdp.port" of list "devices"
// into 3 and "osdp.port".
func element(path, list string) (int, string, bool) {
	rest, ok := strings.CutPrefix(path, list+"[")
	if !ok {
		return 0, "", false
	}
	num, rest, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(num)
	if !ok || err != nil {
		return 0, "", false
	}
	return i, strings.TrimPrefix(rest, "."), true
}

// deref follows an alias to its anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}
