package rulefile_test

import (
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/rules/engine"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// TestCaseFailsOnDifference makes sure a case can fail: a wrong
// expectation, a missing and an unexpected trigger are all reported.
func TestCaseFailsOnDifference(t *testing.T) {
	f, err := rulefile.ParseFile("x.yaml", []byte(`
rules:
  - {id: door, types: [door.forced], severity: orange, title: "{{device}} 门"}
tests:
  - name: wrong
    events:
      - {at: 0s, device: rd-0001, type: door.forced}
      - {at: 1s, device: rd-0001, type: door.forced}
    expect:
      - {at: 0s, rule: door, device: rd-0001, severity: red}
  - name: missing
    events:
      - {at: 0s, device: rd-0001, type: door.closed}
    expect:
      - {at: 5s, rule: door, device: rd-0001}
`))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"trigger 0: got", "unexpected trigger 1", "missing trigger 0"} {
		c := f.Tests[min(i/2, 1)]
		err := f.Run(c, engine.Cases(engine.Config{}))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("case %s: error %v, want it to say %q", c.Name, err, want)
		}
	}
}
