// Package yamlstrict decodes YAML into Go values strictly, with the Go
// struct as the only description of what a file may hold: a key is known
// when a field's yaml tag names it, and its type is the field's type.
//
// It walks the yaml.Node tree of go.yaml.in/yaml/v3 rather than using the
// library's KnownFields decoding, because the library stops at the first
// unknown key and reports type errors without the key they belong to. The
// walk instead reports every problem at once, each with its line and key
// path ("http.auth", "escalation.red.steps[0].after"): unknown keys (with
// the known ones when a struct has at most ten), duplicate keys, merge
// keys, values of the wrong type, a second document, and documents that
// aliases blow up past a node budget. It records the line of every key
// path it sets, so that later validation can point at the line a value
// came from; keys inside what an alias expands to get the alias's line,
// its list elements none (their list's line serves).
//
// A null value (~, null or nothing) keeps what the target held, so
// defaults set before decoding survive. time.Duration reads "90s";
// time.Time an RFC 3339 time or a date; bool, int and float fields want a
// scalar of that YAML type (no 2.0 for 2, no "2" for 2). yaml.Unmarshaler
// is not consulted, since it would decode without these checks: a type
// written as one bare value implements ScalarUnmarshaler, a list that may
// be written as its one element ListOfOne. A yaml.Node field takes its
// node as it is, for the caller to decode piece by piece.
package yamlstrict
