package rulefile

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// TestDocsSayTheBuiltinOfflineFactor: docs/config.md says after how many
// heartbeats a silent device is offline; it must be what the built-in
// supervision rule does.
func TestDocsSayTheBuiltinOfflineFactor(t *testing.T) {
	doc, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	var factor float64
	for _, r := range Builtin() {
		if r.ID == RuleSupervision {
			factor = r.Absence.Factor
		}
	}
	if factor == 0 {
		t.Fatal("the built-in file has no supervision factor")
	}
	m := regexp.MustCompile("offline after ([0-9.]+) × this").FindAllSubmatch(doc, -1)
	if len(m) == 0 {
		t.Fatal(`docs/config.md does not say "offline after N × this"`)
	}
	for _, sub := range m {
		if got, _ := strconv.ParseFloat(string(sub[1]), 64); got != factor {
			t.Errorf("docs/config.md says offline after %s × the heartbeat; the built-in rule uses %v", sub[1], factor)
		}
	}
}
