package registry

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and that its two outcomes are
// exclusive: a registry whose queries work, or a non-empty *Errors.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse("fuzz.yaml", data)
		if err != nil {
			if r != nil {
				t.Fatal("Parse returned both a registry and an error")
			}
			errs, ok := err.(*Errors)
			if !ok || len(errs.Problems) == 0 {
				t.Fatalf("Parse error %T %v, want a non-empty *Errors", err, err)
			}
			return
		}
		for _, d := range r.Devices() {
			if len(r.Ancestors(d.Grid)) == 0 {
				t.Fatalf("device %s sits in grid %q that is not in the tree", d.ID, d.Grid)
			}
			if d.Heartbeat < MinHeartbeat {
				t.Fatalf("device %s heartbeat %v", d.ID, d.Heartbeat)
			}
		}
		for _, g := range r.Grids() {
			if n := len(r.Ancestors(g.ID)); n > MaxLevel {
				t.Fatalf("grid %s has %d ancestors, more than there are levels", g.ID, n)
			}
		}
	})
}
