package rulefile

import (
	"errors"
	"os"
	"testing"
)

// FuzzParseFile checks that no rule file makes ParseFile panic, and that
// it either accepts the file or says why as *Errors.
func FuzzParseFile(f *testing.F) {
	for _, name := range []string{"builtin.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("rules:\n  - {id: m5, types: [power.mains_lost], clears: [power.mains_restored], for: 5m, severity: yellow, title: t}\n" +
		"tests:\n  - {name: n, events: [{at: 0s, device: lb-0001, type: power.mains_lost}], until: 6m, expect: [{at: 5m, rule: m5, device: lb-0001}]}\n"))
	f.Add([]byte("rules:\n  - {id: a, types: [x.y], severity: red, title: t, inhibited_by: {rules: [b]}}\n  - &b {id: b, types: [x.z], severity: red, title: t, clears: [x.w]}\n"))
	f.Add([]byte("rules:\n  - {id: p, types: [x.y], severity: red, title: t}\nfixture:\n  grids: [&g {id: g1, name: n, level: 4}]\n" +
		"  devices: [{id: d1, kind: lightbox, grid: g1}]\ntests:\n  - {name: n, events: [{at: 0s, device: d1, type: x.y}], expect: [{rule: p, device: d1}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseFile("fuzz.yaml", data)
		var errs *Errors
		switch {
		case err == nil && file == nil:
			t.Fatal("no file and no error")
		case err != nil && !errors.As(err, &errs):
			t.Fatalf("error %v is not *Errors", err)
		}
	})
}
