package uplink

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestSummaryNowTellsEmergencyAtOnce: the summary carries what Summary
// says of emergency mode; the first goes out (retained) at start, and
// SummaryNow sends one at once, well before the next periodic one (an
// hour away here), so the county's retained summary follows each switch
// on and off.
func TestSummaryNowTellsEmergencyAtOnce(t *testing.T) {
	url := testsvc.Mosquitto(t).URL
	var mu sync.Mutex
	scopes := []countywire.EmergencyScope{{Grid: "g1", GridName: "一网格", By: "room1", AtMS: 1000}}
	set := func(s []countywire.EmergencyScope) {
		mu.Lock()
		scopes = s
		mu.Unlock()
	}
	u := start(t, url, t.TempDir(), nil, func(c *Config) {
		c.SummaryEvery = time.Hour
		c.Summary = func() countywire.Summary {
			mu.Lock()
			defer mu.Unlock()
			return countywire.Summary{Ready: true, Emergency: &countywire.Emergency{Scopes: append([]countywire.EmergencyScope{}, scopes...)}}
		}
	})
	retained := func() *countywire.Emergency {
		cty := watch(t, url) // a county view that starts now: the retained copy only
		defer cty.client.Disconnect(50)
		var e *countywire.Emergency
		testsvc.Eventually(t, waitLong, "the retained summary", func() bool {
			b, ok := cty.retainedAt(u.Topics().Summary())
			if !ok {
				return false
			}
			var r countywire.Record
			if json.Unmarshal(b, &r) != nil || r.Summary == nil {
				return false
			}
			e = r.Summary.Emergency
			return true
		})
		return e
	}
	sameScopes := func(e *countywire.Emergency, want []string) bool {
		if e == nil || len(e.Scopes) != len(want) {
			return false
		}
		for i, s := range e.Scopes {
			if s.Grid != want[i] {
				return false
			}
		}
		return true
	}
	if e := retained(); !sameScopes(e, []string{"g1"}) || e.Scopes[0].By != "room1" || e.Scopes[0].AtMS != 1000 {
		t.Fatalf("at start the county has %+v; want g1 by room1", e)
	}

	cty := watch(t, url)
	defer cty.client.Disconnect(50)
	set([]countywire.EmergencyScope{{Grid: "g1", By: "room1", AtMS: 1000}, {Grid: countywire.SiteWide, By: "cmd1", AtMS: 2000}})
	u.SummaryNow()
	testsvc.Eventually(t, waitLong, "a summary with both scopes", func() bool {
		for _, r := range cty.unique() {
			if r.Kind == countywire.KindSummary && sameScopes(r.Summary.Emergency, []string{"g1", ""}) {
				return true
			}
		}
		return false
	})
	set(nil)
	u.SummaryNow()
	testsvc.Eventually(t, waitLong, "a summary saying off everywhere", func() bool {
		recs := cty.unique()
		last := recs[len(recs)-1]
		return last.Kind == countywire.KindSummary && last.Summary.Emergency != nil && len(last.Summary.Emergency.Scopes) == 0
	})
	if e := retained(); e == nil || len(e.Scopes) != 0 {
		t.Fatalf("the retained summary says %+v; want off everywhere (not unknown)", e)
	}
}
