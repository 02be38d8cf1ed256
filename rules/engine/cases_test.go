package engine

import (
	"testing"

	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

func testRegistry(t testing.TB) *registry.Registry {
	t.Helper()
	reg, err := registry.Load("testdata/registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// TestBuiltinCases runs the test cases the built-in rule file carries.
func TestBuiltinCases(t *testing.T) {
	f, err := rulefile.BuiltinFile()
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tests) < 5 {
		t.Fatalf("the built-in file carries %d test cases", len(f.Tests))
	}
	reg := testRegistry(t)
	for _, c := range f.Tests {
		t.Run(c.Name, func(t *testing.T) {
			if err := f.Run(c, Cases(Config{Registry: func() *registry.Registry { return reg }})); err != nil {
				t.Fatal(err)
			}
		})
	}
}
