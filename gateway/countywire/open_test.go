package countywire

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSummaryOpenOnTheWire: a summary without the list (an older
// gateway, or more than MaxOpenIDs) has no "open" at all; a site with no
// open alarms says so with an empty list, which is evidence.
func TestSummaryOpenOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		s    Summary
		want string
	}{
		{Summary{}, ""},
		{Summary{Open: &OpenAlarms{IDs: []string{}}}, `"open":{"ids":[]}`},
		{Summary{Open: &OpenAlarms{IDs: []string{"A1"}}}, `"open":{"ids":["A1"]}`},
	} {
		b, err := json.Marshal(tc.s)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(b); tc.want == "" && strings.Contains(got, `"open"`) || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%+v on the wire: %s; want %q", tc.s, got, tc.want)
		}
		var back Summary
		if err := json.Unmarshal(b, &back); err != nil || (back.Open == nil) != (tc.s.Open == nil) {
			t.Errorf("%s read back: %+v, %v", b, back.Open, err)
		}
	}
}
