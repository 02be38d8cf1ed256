package countywire

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestSummaryEmergencyWire pins the summary's emergency field: absent
// (unknown), present and empty (off everywhere), and present with scopes
// each round-trip as such, and a reader of the contract before the field
// (a summary type without it) still reads the rest.
func TestSummaryEmergencyWire(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    *Emergency
		want string // a fragment of the JSON
		none bool   // the field must be absent
	}{
		{name: "unknown", e: nil, none: true},
		{name: "off", e: &Emergency{Scopes: []EmergencyScope{}}, want: `"emergency":{"scopes":[]}`},
		{name: "on", e: &Emergency{Scopes: []EmergencyScope{
			{Grid: SiteWide, By: "room1", AtMS: 1000},
			{Grid: "g1", GridName: "一网格", By: "cmd1", AtMS: 2000},
		}}, want: `"emergency":{"scopes":[{"grid":"","by":"room1","at_ms":1000},{"grid":"g1","grid_name":"一网格","by":"cmd1","at_ms":2000}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := Record{ID: "s:1", County: "qx", Site: "s", Seq: 1, Kind: KindSummary, AtMS: 5,
				Summary: &Summary{Ready: true, OpenAlarms: 2, Emergency: tc.e}}
			b, err := json.Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(string(b), `"emergency"`); got == tc.none {
				t.Fatalf("emergency field present=%v in %s", got, b)
			}
			if tc.want != "" && !strings.Contains(string(b), tc.want) {
				t.Fatalf("%s\nlacks %s", b, tc.want)
			}
			var back Record
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back.Summary.Emergency, tc.e) {
				t.Fatalf("round trip: %+v, want %+v", back.Summary.Emergency, tc.e)
			}
			// A county view of the contract before the field.
			var old struct {
				Summary *struct {
					Ready      bool `json:"ready"`
					OpenAlarms int  `json:"open_alarms"`
				} `json:"summary"`
			}
			if err := json.Unmarshal(b, &old); err != nil || old.Summary == nil || !old.Summary.Ready || old.Summary.OpenAlarms != 2 {
				t.Fatalf("an older reader: %+v %v", old.Summary, err)
			}
		})
	}
}
