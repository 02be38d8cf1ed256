package yamlstrict

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	durationType = reflect.TypeFor[time.Duration]()
	timeType     = reflect.TypeFor[time.Time]()
	scalarType   = reflect.TypeFor[ScalarUnmarshaler]()
	oneType      = reflect.TypeFor[ListOfOne]()
	nodeType     = reflect.TypeFor[yaml.Node]()
)

// value decodes n into the settable v; path names v in messages.
func (d *Decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode && d.aliased == 0 {
		// What an alias expands to has the anchor's lines; its keys are
		// given the line of the alias, where the value is used.
		d.aliased = n.Line
		defer func() { d.aliased = 0 }()
	}
	n = deref(n)
	if d.over {
		return
	}
	if d.nodes++; d.nodes > d.maxNodes() {
		d.over = true
		d.add(n.Line, "", "document too large: aliases expand it beyond %d nodes", d.maxNodes())
		return
	}
	if IsNull(n) {
		return
	}
	if n.Kind == yaml.ScalarNode && v.CanAddr() {
		if p := v.Addr(); p.Type().Implements(scalarType) {
			if err := p.Interface().(ScalarUnmarshaler).UnmarshalScalar(n.Value); err != nil {
				d.add(n.Line, path, "%v", err)
			}
			return
		}
	}
	switch {
	case v.Type() == nodeType: // kept as it is, for the caller to decode
		v.Set(reflect.ValueOf(*n))
		return
	case v.Type() == durationType:
		d.duration(n, v, path)
		return
	case v.Type() == timeType:
		d.time(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.structure(n, v, path)
	case reflect.Map:
		d.mapping(n, v, path)
	case reflect.Slice:
		d.sequence(n, v, path)
	case reflect.Pointer:
		// A value of the wrong type leaves the pointer nil; a mapping sets
		// it even when some of its keys were bad, so that checks of what
		// the mapping is for still run.
		before := len(d.Problems)
		p := reflect.New(v.Type().Elem())
		if d.value(n, p.Elem(), path); len(d.Problems) == before || n.Kind == yaml.MappingNode {
			v.Set(p)
		}
	case reflect.Interface:
		d.any(n, v, path)
	default:
		d.scalar(n, v, path)
	}
}

// line records the line of key, or of the alias it came through.
func (d *Decoder) line(key string, line int) {
	if d.aliased > 0 {
		line = d.aliased
	}
	d.Lines[key] = line
}

func (d *Decoder) maxNodes() int {
	if d.MaxNodes > 0 {
		return d.MaxNodes
	}
	return DefaultMaxNodes
}

// pairs walks the keys of mapping n, reporting a non-mapping, merge keys,
// keys that are not plain names and duplicates; it calls f for the others.
func (d *Decoder) pairs(n *yaml.Node, path string, f func(k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		d.add(n.Line, path, "want a mapping, got %s", describe(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content) && !d.over; i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.add(k.Line, path, "keys must be plain names, got %s", describe(k))
		case k.Value == "<<":
			d.add(k.Line, path, "merge keys (<<) are not supported")
		case seen[k.Value]:
			d.add(k.Line, Join(path, k.Value), "given twice")
		default:
			seen[k.Value] = true
			f(k, v)
		}
	}
}

// field finds the field of struct type t that the yaml tag name names.
func field(t reflect.Type, name string) (int, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.IsExported() && tag == name && tag != "-" && tag != "" {
			return i, true
		}
	}
	return 0, false
}

// maxHint is how many keys a struct may have for an unknown key's
// message to list them all.
const maxHint = 10

// known lists the keys of struct type t for an unknown key's message,
// " (want a, b, c)", or "" when there are more than maxHint.
func known(t reflect.Type) string {
	var keys []string
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if t.Field(i).IsExported() && tag != "" && tag != "-" {
			keys = append(keys, tag)
		}
	}
	if len(keys) == 0 || len(keys) > maxHint {
		return ""
	}
	return " (want " + strings.Join(keys, ", ") + ")"
}

func (d *Decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	d.pairs(n, path, func(k, val *yaml.Node) {
		i, ok := field(v.Type(), k.Value)
		if !ok {
			d.add(k.Line, path, "unknown field %q%s", k.Value, known(v.Type()))
			return
		}
		key := Join(path, k.Value)
		if !IsNull(val) {
			d.line(key, k.Line)
		}
		d.value(val, v.Field(i), key)
	})
}

func (d *Decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	if v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	d.pairs(n, path, func(k, val *yaml.Node) {
		key := Join(path, k.Value)
		mk := reflect.New(t.Key()).Elem()
		if err := k.Decode(mk.Addr().Interface()); err != nil {
			d.add(k.Line, key, "bad key: %v", err)
			return
		}
		d.line(key, k.Line)
		elem := reflect.New(t.Elem()).Elem() // a given entry replaces the default whole
		d.value(val, elem, key)
		v.SetMapIndex(mk, elem)
	})
}

func (d *Decoder) sequence(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.MappingNode && v.Addr().Type().Implements(oneType) {
		s := reflect.MakeSlice(v.Type(), 1, 1)
		d.value(n, s.Index(0), path)
		v.Set(s)
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.add(n.Line, path, "want a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		key := path + "[" + strconv.Itoa(i) + "]"
		if d.aliased == 0 { // an alias's elements have no lines of their own, and may be a bomb's millions
			d.line(key, deref(c).Line)
		}
		d.value(c, s.Index(i), key)
	}
	v.Set(s)
}

func (d *Decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.add(n.Line, path, "want a single value, got %s", describe(n))
		return
	}
	if v.Kind() == reflect.String && n.ShortTag() != "!!binary" { // the common case, without a decoder
		v.SetString(n.Value)
		return
	}
	// The YAML library would read 2.0 as a whole number and "yes" as
	// true; a strict file writes what it means.
	want, tags := "a value", ""
	switch v.Kind() {
	case reflect.Bool:
		want, tags = "true or false", "!!bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		want, tags = "a whole number", "!!int"
	case reflect.Float32, reflect.Float64:
		want, tags = "a number", "!!int !!float"
	}
	tmp := reflect.New(v.Type())
	if tags != "" && !slices.Contains(strings.Fields(tags), n.ShortTag()) || n.Decode(tmp.Interface()) != nil {
		d.add(n.Line, path, "want %s, got %q", want, n.Value)
		return
	}
	v.Set(tmp.Elem())
}

// any decodes a free-form value (map[string]any and the like) as the
// YAML library does; only the node budget and syntax apply to it.
func (d *Decoder) any(n *yaml.Node, v reflect.Value, path string) {
	tmp := reflect.New(v.Type())
	if err := n.Decode(tmp.Interface()); err != nil {
		d.yamlError(n.Line, path, err)
		return
	}
	v.Set(tmp.Elem())
}

func (d *Decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	x, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		d.add(n.Line, path, "want a duration like \"90s\" or \"10m\", got %s", describe(n))
		return
	}
	v.SetInt(int64(x))
}

func (d *Decoder) time(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.ScalarNode {
		if t, err := time.Parse(time.RFC3339, n.Value); err == nil {
			v.Set(reflect.ValueOf(t))
			return
		}
		var t time.Time
		var err error
		if d.DateZone != nil {
			t, err = time.ParseInLocation(time.DateOnly, n.Value, d.DateZone)
		} else {
			err = n.Decode(&t)
		}
		if err == nil {
			v.Set(reflect.ValueOf(t))
			return
		}
	}
	d.add(n.Line, path, "want a date like 2026-01-31 or an RFC 3339 time, got %s", describe(n))
}
