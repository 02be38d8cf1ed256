package registry

import (
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

// Parse decodes and validates a registry file. name is used in messages
// only. Decoding is strict: unknown fields are errors. Every problem found
// is returned at once as *Errors, each as FILE:LINE: SUBJECT: MSG. An
// empty document is an empty registry.
func Parse(name string, data []byte) (*Registry, error) {
	if name == "" {
		name = "registry"
	}
	d := &decoder{file: name}
	return d.build(d.document(data))
}

// ParseNode decodes and validates a registry held in an already parsed
// YAML mapping, as Parse does a file: a registry written inside another
// file (a rule file's test fixture). Problems carry the lines of the
// enclosing file, named name. A nil node is an empty registry.
func ParseNode(name string, n *yaml.Node) (*Registry, error) {
	if name == "" {
		name = "registry"
	}
	d := &decoder{file: name}
	return d.build(d.documentOf(n))
}

// build validates a decoded document and indexes it.
func (d *decoder) build(doc *doc) (*Registry, error) {
	if !d.dec.Over() {
		d.validate(doc)
	}
	if err := newErrors(d.probs); err != nil {
		return nil, err
	}
	grids := make([]Grid, len(doc.grids))
	for i, e := range doc.grids {
		grids[i] = e.v
	}
	staff := make([]Staff, len(doc.staff))
	for i, e := range doc.staff {
		staff[i] = e.v
	}
	devices := make([]Device, len(doc.devices))
	for i, e := range doc.devices {
		devices[i] = e.v
	}
	groups := make([]Group, len(doc.groups))
	for i, e := range doc.groups {
		groups[i] = e.v
	}
	cards := make([]Card, len(doc.cards))
	for i, e := range doc.cards {
		cards[i] = e.v
	}
	r := newRegistry(grids, staff, devices, groups, cards)
	for _, e := range doc.buses {
		b := e.v
		r.buses[b.Port] = &b
	}
	for _, e := range doc.profiles {
		p := e.v
		r.profiles[p.ID] = &p
	}
	r.resolveThresholds(doc.thresholds)
	return r, nil
}

// Load reads and parses the registry file at path. A file that cannot be
// read gives an error that wraps the os error (errors.Is(err,
// fs.ErrNotExist) tells a missing file); problems in the file give *Errors.
func Load(path string) (*Registry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return Parse(path, data)
}

// Empty returns a registry with no grids, staff or devices.
func Empty() *Registry { return newRegistry(nil, nil, nil, nil, nil) }
