package config

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
)

// maxNodes bounds the nodes one decode visits, aliases counted each time.
const maxNodes = 1 << 16

// walker decodes a YAML tree into a Go value strictly: unknown keys,
// duplicate keys and values of the wrong type are problems with their
// line, and decoding goes on to find the rest. It records the line of
// every key path it sets ("http.auth", "escalation.red.steps[0].after").
// A null value keeps what the target held (its default).
type walker struct {
	file  string
	lines map[string]int
	probs []Problem
	nodes int
}

func (w *walker) add(line int, key, format string, args ...any) {
	w.probs = append(w.probs, Problem{File: w.file, Line: line, Subject: key, Msg: fmt.Sprintf(format, args...)})
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses data and decodes its one document into out.
func (w *walker) document(data []byte, out any) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if !errors.Is(err, io.EOF) {
			w.yamlError(err)
		}
		return
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		w.add(extra.Line, "", "a second YAML document; the config file holds exactly one")
	case !errors.Is(err, io.EOF):
		w.yamlError(err)
	}
	top := &root
	if top.Kind == yaml.DocumentNode && len(top.Content) == 1 {
		top = top.Content[0]
	}
	w.value(top, reflect.ValueOf(out).Elem(), "")
}

func (w *walker) yamlError(err error) {
	if m := yamlLineErr.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		w.add(line, "", "%s", m[2])
		return
	}
	w.add(0, "", "%s", strings.TrimPrefix(err.Error(), "yaml: "))
}

var durationType = reflect.TypeFor[time.Duration]()

// value decodes n into the settable v; path names v in messages.
func (w *walker) value(n *yaml.Node, v reflect.Value, path string) {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	if w.nodes++; w.nodes > maxNodes {
		if w.nodes == maxNodes+1 {
			w.add(n.Line, "", "document too large: aliases expand it beyond %d nodes", maxNodes)
		}
		return
	}
	if isNull(n) {
		return
	}
	if v.Type() == durationType {
		w.duration(n, v, path)
		return
	}
	if n.Kind == yaml.ScalarNode && v.Kind() == reflect.Struct && v.CanAddr() {
		if s, ok := v.Addr().Interface().(shorthand); ok {
			s.fromScalar(n.Value)
			return
		}
	}
	switch v.Kind() {
	case reflect.Struct:
		w.structure(n, v, path)
	case reflect.Map:
		w.mapping(n, v, path)
	case reflect.Slice:
		w.sequence(n, v, path)
	case reflect.Pointer:
		before := len(w.probs)
		p := reflect.New(v.Type().Elem())
		if w.value(n, p.Elem(), path); len(w.probs) == before {
			v.Set(p)
		}
	default:
		w.scalar(n, v, path)
	}
}

// pairs walks the keys of mapping n, reporting a non-mapping, merge keys,
// keys that are not plain names and duplicates; it calls f for the others.
func (w *walker) pairs(n *yaml.Node, path string, f func(k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		w.add(n.Line, path, "want a mapping, got %s", describe(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			w.add(k.Line, path, "keys must be plain names, got %s", describe(k))
		case k.Value == "<<":
			w.add(k.Line, path, "merge keys (<<) are not supported")
		case seen[k.Value]:
			w.add(k.Line, join(path, k.Value), "given twice")
		default:
			seen[k.Value] = true
			f(k, v)
		}
	}
}

func (w *walker) structure(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	w.pairs(n, path, func(k, val *yaml.Node) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if f.IsExported() && name == k.Value && name != "-" {
				key := join(path, name)
				if !isNull(val) {
					w.lines[key] = k.Line
				}
				w.value(val, v.Field(i), key)
				return
			}
		}
		w.add(k.Line, path, "unknown field %q", k.Value)
	})
}

func (w *walker) mapping(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	if v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	w.pairs(n, path, func(k, val *yaml.Node) {
		key := join(path, k.Value)
		mk := reflect.New(t.Key()).Elem()
		if err := k.Decode(mk.Addr().Interface()); err != nil {
			w.add(k.Line, key, "bad key: %v", err)
			return
		}
		w.lines[key] = k.Line
		elem := reflect.New(t.Elem()).Elem() // a given entry replaces the default whole
		w.value(val, elem, key)
		v.SetMapIndex(mk, elem)
	})
}

func (w *walker) sequence(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		w.add(n.Line, path, "want a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		key := fmt.Sprintf("%s[%d]", path, i)
		w.lines[key] = c.Line
		w.value(c, s.Index(i), key)
	}
	v.Set(s)
}

func (w *walker) scalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		w.add(n.Line, path, "want a single value, got %s", describe(n))
		return
	}
	want := "a value"
	switch v.Kind() {
	case reflect.Bool:
		want = "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		want = "a whole number"
	case reflect.Float32, reflect.Float64:
		want = "a number"
	}
	tmp := reflect.New(v.Type())
	if err := n.Decode(tmp.Interface()); err != nil {
		w.add(n.Line, path, "want %s, got %q", want, n.Value)
		return
	}
	v.Set(tmp.Elem())
}

func (w *walker) duration(n *yaml.Node, v reflect.Value, path string) {
	d, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		w.add(n.Line, path, "want a duration like \"90s\" or \"10m\", got %s", describe(n))
		return
	}
	v.SetInt(int64(d))
}

// shorthand is a struct that may also be written as one bare value.
type shorthand interface{ fromScalar(string) }

// isNull reports whether n is a null value (~, null or nothing).
func isNull(n *yaml.Node) bool {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
