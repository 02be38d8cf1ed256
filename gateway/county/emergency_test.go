package county

import (
	"fmt"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/countywire"
)

// TestSiteEmergency follows one site's emergency mode through its
// summaries: unknown until told; on (which scopes, who, since when);
// kept, marked stale, when a summary does not tell, when the site goes
// offline and when its summaries stop; off when the site says so; a late
// older summary never takes it back; and the stream's site event carries
// it.
func TestSiteEmergency(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	g := &gw{site: "lianhua"}
	var told []SiteHealth
	s := NewState(testCounty, func() time.Time { return now }, nil, nil, func(h SiteHealth) { told = append(told, h) })
	apply := func(topic string, payload []byte) {
		t.Helper()
		if err := s.Apply(topic, payload); err != nil {
			t.Fatal(err)
		}
	}
	em := func() *SiteEmergency {
		t.Helper()
		h := s.Sites()
		if len(h) != 1 {
			t.Fatalf("sites %+v", h)
		}
		return h[0].Emergency
	}
	show := func(e *SiteEmergency) string {
		if e == nil {
			return "unknown"
		}
		out := fmt.Sprintf("on=%v stale=%v as_of=%d", e.On, e.Stale, e.AsOfMS)
		for _, sc := range e.Scopes {
			out += fmt.Sprintf(" [%q name=%s by=%s at=%d]", sc.Grid, sc.GridName, sc.By, sc.AtMS)
		}
		return out
	}
	summary := func(e *countywire.Emergency) []byte {
		return g.summaryRecord(t, countywire.Summary{Ready: true, Emergency: e})
	}
	want := func(step, w string) {
		t.Helper()
		if got := show(em()); got != w {
			t.Fatalf("%s: emergency %s\nwant %s", step, got, w)
		}
	}

	apply(g.topics().Status(), mustJSON(t, countywire.Status{Online: true, AtMS: 5}))
	apply(g.topics().Summary(), summary(nil)) // an older gateway
	want("an older gateway", "unknown")

	on := &countywire.Emergency{Scopes: []countywire.EmergencyScope{
		{Grid: "lh-g2", GridName: "二网格", By: "cmd1", AtMS: 900},
		{Grid: countywire.SiteWide, By: "room1", AtMS: 800},
	}}
	apply(g.topics().Events(), summary(on))
	want("switched on", `on=true stale=false as_of=1000 ["" name= by=room1 at=800] ["lh-g2" name=二网格 by=cmd1 at=900]`)
	if last := told[len(told)-1].Emergency; last == nil || !last.On || len(last.Scopes) != 2 {
		t.Fatalf("the site event says %+v", last)
	}
	stale := summary(&countywire.Emergency{Scopes: []countywire.EmergencyScope{}}) // seq held back: a late copy

	apply(g.topics().Events(), summary(nil))
	want("a summary that does not tell", `on=true stale=true as_of=1000 ["" name= by=room1 at=800] ["lh-g2" name=二网格 by=cmd1 at=900]`)
	apply(g.topics().Events(), summary(on))
	want("told again", `on=true stale=false as_of=1000 ["" name= by=room1 at=800] ["lh-g2" name=二网格 by=cmd1 at=900]`)
	apply(g.topics().Summary(), stale)
	want("an older summary arriving late", `on=true stale=false as_of=1000 ["" name= by=room1 at=800] ["lh-g2" name=二网格 by=cmd1 at=900]`)

	apply(g.topics().Status(), mustJSON(t, countywire.Status{Online: false, AtMS: 6}))
	want("site offline", `on=true stale=true as_of=1000 ["" name= by=room1 at=800] ["lh-g2" name=二网格 by=cmd1 at=900]`)
	apply(g.topics().Status(), mustJSON(t, countywire.Status{Online: true, AtMS: 7}))
	want("back online", `on=true stale=false as_of=1000 ["" name= by=room1 at=800] ["lh-g2" name=二网格 by=cmd1 at=900]`)
	now = now.Add(StaleAfter + time.Second)
	want("no summary for long", `on=true stale=true as_of=1000 ["" name= by=room1 at=800] ["lh-g2" name=二网格 by=cmd1 at=900]`)

	apply(g.topics().Events(), summary(&countywire.Emergency{Scopes: []countywire.EmergencyScope{}}))
	want("switched off", `on=false stale=false as_of=1000`)
	if e := em(); e.Scopes == nil {
		t.Error("off is an empty list, not null")
	}
	if last := told[len(told)-1].Emergency; last == nil || last.On {
		t.Fatalf("the site event after off says %+v", last)
	}
}

// TestSiteEmergencyBounded: a summary with absurd scopes costs the view
// no more than countywire.MaxEmergencyScopes of them, each with short
// strings.
func TestSiteEmergencyBounded(t *testing.T) {
	g := &gw{site: "lianhua"}
	s := NewState(testCounty, nil, nil, nil, nil)
	e := &countywire.Emergency{}
	for i := range countywire.MaxEmergencyScopes + 50 {
		e.Scopes = append(e.Scopes, countywire.EmergencyScope{Grid: fmt.Sprintf("g%05d", i), By: "x"})
	}
	e.Scopes[0].By = string(make([]byte, maxScopeText+1))
	if err := s.Apply(g.topics().Summary(), g.summaryRecord(t, countywire.Summary{Emergency: e})); err != nil {
		t.Fatal(err)
	}
	got := s.Sites()[0].Emergency
	if len(got.Scopes) != countywire.MaxEmergencyScopes || got.Scopes[0].Grid != "g00001" {
		t.Fatalf("kept %d scopes from %q; want %d from g00001", len(got.Scopes), got.Scopes[0].Grid, countywire.MaxEmergencyScopes)
	}
}
