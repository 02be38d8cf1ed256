package rulefile

import (
	"strings"
	"testing"
)

// TestFixture: a file's fixture: is decoded as a registry, its problems
// reported with the rule file's lines, and every device a case names must
// be in it.
func TestFixture(t *testing.T) {
	const rules = `rules:
  - {id: panic, types: [button.pressed], severity: red, title: "{{device}} 报警"}
`
	for _, tc := range []struct {
		name string
		src  string
		want []string // problems; none means the file parses
	}{
		{"good", rules + `fixture:
  grids: [{id: g1, name: 一, level: 4}]
  devices: [{id: lb-0001, kind: lightbox, grid: g1}]
tests:
  - name: t
    events: [{at: 0s, device: lb-0001, type: button.pressed}]
    expect: [{rule: panic, device: lb-0001}]
`, nil},
		{"bad registry", rules + `fixture:
  grids: [{id: g1, name: 一, level: 4}]
  devices:
    - {id: lb-0001, kind: toaster, grid: g1}
    - {id: lb-0002, kind: lightbox, grid: g9, colour: red}
`, []string{
			`x.yaml:6: fixture device lb-0001: unknown kind "toaster"`,
			`x.yaml:7: fixture device lb-0002: `, `colour`, `unknown grid "g9"`,
		}},
		{"not a mapping", rules + "fixture: [lb-0001]\n", []string{"x.yaml:3: fixture: want a mapping"}},
		{"case names a device the fixture lacks", rules + `fixture:
  grids: [{id: g1, name: 一, level: 4}]
  devices: [{id: lb-0001, kind: lightbox, grid: g1}]
tests:
  - name: typo
    events: [{at: 0s, device: lb-0010, type: button.pressed}]
    expect: [{rule: panic, device: lb-0010}]
`, []string{`test typo: event 0: device "lb-0010" is not in the fixture`, `expect 0: device "lb-0010" is not in the fixture`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFile("x.yaml", []byte(tc.src))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if f.Fixture == nil {
					t.Fatal("no fixture decoded")
				}
				if d, ok := f.Fixture.Device("lb-0001"); !ok || d.Grid != "g1" {
					t.Fatalf("fixture device lb-0001: %+v %v", d, ok)
				}
				return
			}
			if err == nil {
				t.Fatal("a bad fixture was accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
