package yamlstrict

import (
	"testing"
	"time"
)

// FuzzDecode checks that no input makes the decoder panic or loop, and
// that every problem it reports has a line within the input or none.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("name: x\nin: {port: 1, after: 2s}\nlist: [{port: 1}]\n"))
	f.Add([]byte("a: &a [x, *a]\nmany: {port: 1}\nuser: pw\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v := top{}
		d := &Decoder{File: "f", MaxNodes: 10_000, DateZone: time.UTC}
		if n := d.Parse(data, "x"); n != nil {
			d.Decode(n, &v, "")
		}
		lines := 1
		for _, b := range data {
			if b == '\n' || b == '\r' { // YAML breaks lines at either
				lines++
			}
		}
		for _, p := range d.Problems {
			if p.Line < 0 || p.Line > lines+1 {
				t.Fatalf("problem at line %d of a %d-line input: %v", p.Line, lines, p)
			}
		}
	})
}
