package testsite_test

import (
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/testsite"
)

// TestFixturesAreValidSites: each fixture parses with exactly its staff and
// the devices a test appends.
func TestFixturesAreValidSites(t *testing.T) {
	devices := testsite.Lightbox("lb-0001", "莲花路12号", "") + testsite.Lightbox("lb-0002", "莲花路14号", "heartbeat: 20s")
	for _, tc := range []struct {
		name, yaml string
		staff      []string
	}{
		{"Cell", testsite.Cell, []string{"wang", "room1"}},
		{"Ladder", testsite.Ladder, []string{"wang", "room1", "zhao", "li", "cmd1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := registry.Parse(tc.name+".yaml", []byte(tc.yaml+devices))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range r.StaffList() {
				got = append(got, s.ID)
			}
			if len(got) != len(tc.staff) {
				t.Errorf("staff %v, want %v", got, tc.staff)
			}
			for _, id := range tc.staff {
				if _, ok := r.Staff(id); !ok {
					t.Errorf("staff %s missing", id)
				}
			}
			if _, ok := r.Device("lb-0001"); !ok {
				t.Error("lb-0001 missing")
			}
			lb, ok := r.Device("lb-0002")
			if !ok || lb.Grid != "lh-g4-07" || lb.Name != "莲花路14号" || lb.Heartbeat != 20*time.Second {
				t.Errorf("lb-0002 = %+v", lb)
			}
		})
	}
}
