package yamlstrict

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gridwatch/gridwatch/internal/problem"
)

// DefaultMaxNodes is the node budget of a Decoder that names none.
const DefaultMaxNodes = 1 << 16

// ScalarUnmarshaler is a struct that may also be written as one bare
// value (a user given as just a password). UnmarshalScalar is called only
// for a scalar node; a mapping decodes field by field as usual.
type ScalarUnmarshaler interface{ UnmarshalScalar(string) error }

// ListOfOne is a slice type whose list may also be written as its one
// element: a mapping where a list of mappings is expected.
type ListOfOne interface{ YAMLListOfOne() }

// Decoder decodes the documents of one file. The zero value is ready for
// use; set File (for messages) first.
type Decoder struct {
	// File names the input in every Problem.
	File string
	// MaxNodes bounds the nodes one Decoder visits, a node counted again
	// for every alias that reaches it; 0 means DefaultMaxNodes.
	MaxNodes int
	// DateZone, when set, makes a time.Time read an RFC 3339 time or a
	// date such as 2026-01-31, at midnight in this zone. When nil, a
	// time.Time reads the YAML timestamp forms (dates at UTC midnight).
	DateZone *time.Location
	// Lines is the line of every key path decoded with a non-null value,
	// and of every list element ("devices[3]"). Decode creates it.
	Lines map[string]int
	// Problems is everything found so far, in the order found.
	Problems []problem.Problem

	nodes   int
	over    bool
	aliased int // line of the alias being expanded, 0 outside one
}

// Over reports whether aliases expanded the input past the node budget;
// decoding stopped there, so what was decoded is incomplete.
func (d *Decoder) Over() bool { return d.over }

func (d *Decoder) add(line int, path, format string, args ...any) {
	d.Problems = append(d.Problems, problem.Problem{File: d.File, Line: line, Subject: path, Msg: fmt.Sprintf(format, args...)})
}

var yamlLineErr = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlError reports an error of the YAML library, keeping its line (or
// the line given when it has none).
func (d *Decoder) yamlError(line int, path string, err error) {
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, m := range msgs {
		if sub := yamlLineErr.FindStringSubmatch(m); sub != nil {
			l, _ := strconv.Atoi(sub[1])
			d.add(l, path, "%s", sub[2])
			continue
		}
		d.add(line, path, "%s", strings.TrimPrefix(m, "yaml: "))
	}
}

// Parse parses data, which must hold at most one YAML document, and
// returns its top node, or nil for an empty input or a syntax error
// (reported). what names the file's kind in the message about a second
// document ("the config file").
func (d *Decoder) Parse(data []byte, what string) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if !errors.Is(err, io.EOF) {
			d.yamlError(0, "", err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		d.add(extra.Line, "", "a second YAML document; %s holds exactly one", what)
	case !errors.Is(err, io.EOF):
		d.yamlError(0, "", err)
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		return root.Content[0]
	}
	return &root
}

// Decode decodes n into the value out points to; path names it in
// messages and in Lines ("" for the top). Problems are appended to
// d.Problems and decoding goes on past them.
func (d *Decoder) Decode(n *yaml.Node, out any, path string) {
	if d.Lines == nil {
		d.Lines = map[string]int{}
	}
	d.value(n, reflect.ValueOf(out).Elem(), path)
}

// IsNull reports whether n is a null value (~, null or nothing).
func IsNull(n *yaml.Node) bool {
	n = deref(n)
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// deref follows an alias to its anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}

// describe names a node in messages: a mapping, a list, or its value.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

// Join appends key to path with a dot.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
