package scenario

import (
	"errors"
	"os"
	"testing"
)

// FuzzParse checks that no scenario file makes Parse panic, and that it
// either gives steps or says why as *ParseError.
func FuzzParse(f *testing.F) {
	data, err := os.ReadFile("testdata/rehearsal.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("steps:\n  - {at: 1s, phone: wang, expect: {severity: red, step: 0}, within: 2s}\n  - &s {device: a, telemetry: {x: 1}}\n  - *s\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		var pe *ParseError
		switch {
		case err == nil && (s == nil || len(s.Steps) == 0):
			t.Fatal("accepted a scenario without steps")
		case err != nil && !errors.As(err, &pe):
			t.Fatalf("error %v is not *ParseError", err)
		}
	})
}
