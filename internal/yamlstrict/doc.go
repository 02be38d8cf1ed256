// Package yamlstrict decodes YAML into Go values strictly, with the Go
// struct as the only description of what a file may hold: a key is known
// when a field's yaml tag names it, and its type is the field's type.
//
// It walks the yaml.Node tree of go.yaml.in/yaml/v3 rather than using the
// library's KnownFields decoding, because the library stops at the first
// unknown key and reports type errors without the key they belong to. The
// walk instead reports every problem at once, each with its line and key
// path ("http.auth", "escalation.red.steps[0].after"): unknown keys,
// duplicate keys, merge keys, values of the wrong type, a second document,
// and documents that aliases blow up past a node budget. It records the
// line of every key path it sets, so that later validation can point at
// the line a value came from.
//
// A null value (~, null or nothing) keeps what the target held, so
// defaults set before decoding survive. A type with an UnmarshalYAML
// method (yaml.Unmarshaler) decodes itself; a struct that also has a
// bare-value form implements ScalarUnmarshaler.
package yamlstrict
