package httpapi

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestStreamEmergencyScoped: a switch of emergency mode reaches, live,
// every console whose cells its scope touches, with the scopes on that
// touch that console; a console of another cell does not hear it, and
// hears the whole site's.
func TestStreamEmergencyScoped(t *testing.T) {
	const liToken, maToken = "li-token-0123456789", "ma-token-0123456789"
	s := newServer(t, testConfig(newFakeDesk(), func(c *Config) {
		c.Tokens["li"], c.Tokens["ma"] = liToken, maToken
	}))
	ts := startServer(t, s)
	streams := map[string]<-chan sse{}
	for who, token := range map[string]string{"wang": wangToken, "li": liToken, "ma": maToken} {
		streams[who], _ = openStream(t, ts.URL, token)
		next(t, streams[who], "hello")
	}
	waitFor(t, "three stream clients", func() bool { return s.hub.n.Load() == 3 })

	g1 := alarm.Emergency{Scope: "g1", On: true, By: "wang", At: 1000}
	cell := alarm.Emergency{Scope: "lh-g4-07", On: true, By: "zhao", At: 2000}
	s.PublishEmergency(cell, []alarm.Emergency{g1, cell})
	site := alarm.Emergency{Scope: alarm.SiteScope, On: true, By: "wang", At: 3000}
	s.PublishEmergency(site, []alarm.Emergency{site, g1, cell})
	cellOff := alarm.Emergency{Scope: "lh-g4-07", On: false, By: "zhao", At: 4000}
	s.PublishEmergency(cellOff, []alarm.Emergency{site, g1})
	siteOff := alarm.Emergency{Scope: alarm.SiteScope, On: false, By: "wang", At: 5000}
	s.PublishEmergency(siteOff, []alarm.Emergency{g1})

	// scopes renders an event as its switch and the scopes it says are on.
	scopes := func(who string) []string {
		t.Helper()
		ev := next(t, streams[who], "emergency")
		var e emergencyEvent
		if err := json.Unmarshal([]byte(ev.data), &e); err != nil || e.Emergencies == nil {
			t.Fatalf("%s: emergency event %q (%v)", who, ev.data, err)
		}
		out := []string{e.Switched.Scope + "/" + e.Switched.By + "/" + map[bool]string{true: "on", false: "off"}[e.Switched.On]}
		for _, x := range e.Emergencies {
			out = append(out, x.Scope)
		}
		return out
	}
	for _, tc := range []struct {
		who  string
		want [][]string
	}{
		// The security room serves every root: every switch, every scope.
		{"wang", [][]string{{"lh-g4-07/zhao/on", "g1", "lh-g4-07"}, {"/wang/on", "", "g1", "lh-g4-07"}, {"lh-g4-07/zhao/off", "", "g1"}, {"/wang/off", "g1"}}},
		// li serves lh-g4-07: its switches and the whole site's, never g1.
		{"li", [][]string{{"lh-g4-07/zhao/on", "lh-g4-07"}, {"/wang/on", "", "lh-g4-07"}, {"lh-g4-07/zhao/off", ""}, {"/wang/off"}}},
		// ma serves lh-g4-08: only the whole site's switches; lh-g4-07's
		// would have come in between.
		{"ma", [][]string{{"/wang/on", ""}, {"/wang/off"}}},
	} {
		for i, want := range tc.want {
			if got := scopes(tc.who); !slices.Equal(got, want) {
				t.Errorf("%s, event %d: %q, want %q", tc.who, i, got, want)
			}
		}
	}
}
