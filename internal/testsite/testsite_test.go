package testsite_test

import (
	"testing"

	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/testsite"
)

// TestLadderIsAValidSite: the fixture parses, with one person per rung and
// the devices a test appends.
func TestLadderIsAValidSite(t *testing.T) {
	yaml := testsite.Ladder + testsite.Lightbox("lb-0001", "莲花路12号", "") +
		testsite.Lightbox("lb-0002", "莲花路14号", "heartbeat: 20s")
	r, err := registry.Parse("ladder.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"wang", "room1", "zhao", "li", "cmd1"} {
		if _, ok := r.Staff(id); !ok {
			t.Errorf("staff %s missing", id)
		}
	}
	lb, ok := r.Device("lb-0002")
	if !ok || lb.Grid != "lh-g4-07" || lb.Name != "莲花路14号" || lb.Heartbeat.String() != "20s" {
		t.Errorf("lb-0002 = %+v", lb)
	}
	if _, ok := r.Device("lb-0001"); !ok {
		t.Error("lb-0001 missing")
	}
}
