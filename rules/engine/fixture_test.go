package engine

import (
	"testing"

	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// foreignSite is a registry that holds none of the ids the built-in test
// cases name, and a lb-0001 unlike theirs.
const foreignSite = `
grids:
  - {id: north, name: 北区, level: 3}
  - {id: gate-cell, name: 北门, level: 4, parent: north}
devices:
  - {id: box-01, kind: lightbox, grid: gate-cell, heartbeat: 10s}
  - {id: lb-0001, kind: camera, grid: north, name: 北区球机, heartbeat: 5s}
`

// TestBuiltinCasesOnAnySite runs the built-in file's test cases the way a
// reload does, against the running site's registry, for sites that are
// not the one the cases were written for: the demo site, a site with
// none of the cases' ids, and no registry at all. They pass on each,
// since the file carries its own fixture.
func TestBuiltinCasesOnAnySite(t *testing.T) {
	f, err := rulefile.BuiltinFile()
	if err != nil {
		t.Fatal(err)
	}
	demo, err := registry.Load("../../deploy/demo/registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := registry.Parse("foreign.yaml", []byte(foreignSite))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		reg  *registry.Registry
	}{
		{"demo site", demo},
		{"none of the test ids", foreign},
		{"empty registry", registry.Empty()},
		{"no registry", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{}
			if tc.reg != nil {
				reg := tc.reg
				cfg.Registry = func() *registry.Registry { return reg }
			}
			if err := f.RunAll(Cases(cfg)); err != nil {
				t.Fatalf("the built-in cases fail on this site:\n%v", err)
			}
		})
	}
}

// TestFixtureReplacesTheSiteRegistry: a file with a fixture runs its
// cases on the fixture; one without runs them on the registry it is
// given, as before fixtures existed.
func TestFixtureReplacesTheSiteRegistry(t *testing.T) {
	const rules = `
rules:
  - {id: panic, types: [button.pressed], severity: red, title: "{{device}} 一键报警"}
`
	const cases = `
tests:
  - name: titled from the fixture
    events: [{at: 0s, device: lb-0001, type: button.pressed}]
    expect: [{rule: panic, device: lb-0001, title: "莲花路12号 一键报警"}]
`
	const fixture = `
fixture:
  grids: [{id: lh-g4-07, name: 莲花四级网格7, level: 4}]
  devices: [{id: lb-0001, kind: lightbox, grid: lh-g4-07, name: 莲花路12号}]
`
	site := testRegistry(t) // lb-0001 is 莲花路12号 here too
	foreign, err := registry.Parse("foreign.yaml", []byte(foreignSite))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		file string
		reg  *registry.Registry
		pass bool
	}{
		{"fixture, foreign site", rules + fixture + cases, foreign, true},
		{"fixture, no site", rules + fixture + cases, nil, true},
		{"no fixture, the site it was written for", rules + cases, site, true},
		{"no fixture, foreign site", rules + cases, foreign, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := rulefile.ParseFile("x.yaml", []byte(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{}
			if tc.reg != nil {
				reg := tc.reg
				cfg.Registry = func() *registry.Registry { return reg }
			}
			err = f.RunAll(Cases(cfg))
			if (err == nil) != tc.pass {
				t.Fatalf("pass %v, want %v: %v", err == nil, tc.pass, err)
			}
		})
	}
}
