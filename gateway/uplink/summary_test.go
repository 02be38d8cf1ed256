package uplink

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/countywire"
)

// TestSummaryListsOpenAlarmsInStreamOrder: each summary carries the
// alarms the records before it leave open, and only those, so the county
// may take an alarm it holds from an older record and the summary does
// not list as closed (countywire.OpenAlarms); after a restart the list
// comes from the outbox.
func TestSummaryListsOpenAlarmsInStreamOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "uplink.db")
	open := func() *Uplink {
		u, err := Open(Config{URL: "tcp://127.0.0.1:1", County: testCounty, Site: testSite, ClientID: "c", Path: path,
			Summary: func() countywire.Summary { return countywire.Summary{Ready: true} }})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	u := open()
	u.queueSummary()            // nothing open yet
	u.Alarm(lifecycle("A1", 1)) // raised
	u.Alarm(lifecycle("A2", 2)) // raised, paged
	u.queueSummary()            // A1, A2
	u.Alarm(lifecycle("A1", 5)) // closed
	u.queueSummary()            // A2
	if !u.flush() {
		t.Fatal("not stored")
	}
	recs, err := u.box.next(100)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	open1 := map[string]bool{}
	for _, r := range recs {
		switch r.Rec.Kind {
		case countywire.KindAlarm:
			id, closed, err := r.Rec.Alarm.AlarmRef()
			if err != nil {
				t.Fatal(err)
			}
			open1[id] = !closed
		case countywire.KindSummary:
			if r.Rec.Summary.Open == nil {
				t.Fatalf("summary %s without its open list", r.Rec.ID)
			}
			ids := r.Rec.Summary.Open.IDs
			var want []string
			for id, o := range open1 {
				if o {
					want = append(want, id)
				}
			}
			slices.Sort(want)
			if !slices.Equal(ids, want) && (len(ids) != 0 || len(want) != 0) {
				t.Errorf("summary %s lists %v; the records before it leave %v open", r.Rec.ID, ids, want)
			}
			got = append(got, ids)
		}
	}
	if len(got) != 3 || len(got[0]) != 0 || !slices.Equal(got[1], []string{"A1", "A2"}) || !slices.Equal(got[2], []string{"A2"}) {
		t.Errorf("summaries list %v; want [], [A1 A2], [A2]", got)
	}
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
	// After a restart the outbox knows A2 is open.
	u = open()
	defer u.Close()
	u.queueSummary()
	if s := u.pending[len(u.pending)-1].rec.Summary; s.Open == nil || !slices.Equal(s.Open.IDs, []string{"A2"}) {
		t.Errorf("summary after a restart lists %+v; want [A2]", s.Open)
	}
}

// TestSummaryCarriesVersion: every summary tells the county the gateway's
// version: the one configured, or the binary's build information.
func TestSummaryCarriesVersion(t *testing.T) {
	for _, tc := range []struct{ name, version, want string }{
		{"configured", "1.4.2", "1.4.2"},
		{"from the build", "", BuildVersion()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := Open(Config{URL: "tcp://127.0.0.1:1", County: testCounty, Site: testSite, ClientID: "c",
				Path: filepath.Join(t.TempDir(), "uplink.db"), Version: tc.version,
				Summary: func() countywire.Summary { return countywire.Summary{Ready: true} }})
			if err != nil {
				t.Fatal(err)
			}
			defer u.Close()
			if got := u.summary().Summary.Version; got == "" || got != tc.want {
				t.Errorf("summary version %q, want %q (not empty)", got, tc.want)
			}
		})
	}
}
