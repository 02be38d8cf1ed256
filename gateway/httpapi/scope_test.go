package httpapi

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/broadcast"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// fakeBroadcasts holds a fixed list.
type fakeBroadcasts []broadcast.Broadcast

func (f fakeBroadcasts) Send(context.Context, string, string, permit.Caller) (broadcast.Broadcast, error) {
	return broadcast.Broadcast{}, errors.New("not in this test")
}

func (f fakeBroadcasts) Get(id string) (broadcast.Broadcast, error) {
	for _, b := range f {
		if b.ID == id {
			return b, nil
		}
	}
	return broadcast.Broadcast{}, errNotFound
}

func (f fakeBroadcasts) List(int) ([]broadcast.Broadcast, error) { return f, nil }

func TestTouches(t *testing.T) {
	reg := testRegistry()
	li := permit.Staff("li") // serves lh-g4-07
	for scope, want := range map[string]bool{
		"": true, "lianhua": true, "lh-g4-07": true, "lh-g4-08": false, "g1": false, "nowhere": false,
	} {
		if got := touches(reg, li, scope); got != want {
			t.Errorf("touches(li, %q) = %v, want %v", scope, got, want)
		}
	}
	zhao := permit.Staff("zhao") // serves lianhua: every cell below it too
	if !touches(reg, zhao, "lh-g4-08") || touches(reg, zhao, "g1") {
		t.Error("zhao: lianhua's subtree, not g1")
	}
	for _, tc := range []struct {
		s    Silence
		want bool
	}{
		{Silence{ID: "site"}, true},
		{Silence{ID: "cell", Grids: []string{"lh-g4-07"}}, true},
		{Silence{ID: "above", Grids: []string{"lianhua"}}, true},
		{Silence{ID: "other", Grids: []string{"lh-g4-08", "g1"}}, false},
		{Silence{ID: "rule only", Rules: []string{"panic"}}, true},
	} {
		if got := seesSilence(reg, li, tc.s); got != tc.want {
			t.Errorf("li sees silence %s: %v, want %v", tc.s.ID, got, tc.want)
		}
	}
}

// TestOtherReadsCutToCells: broadcasts, emergencies and silences of
// other cells are not shown to a grid member; an out-of-scope broadcast
// is refused with 403.
func TestOtherReadsCutToCells(t *testing.T) {
	oversight := newFakeOversight()
	oversight.on["lh-g4-08"] = alarm.Emergency{Scope: "lh-g4-08", On: true, By: "zhao"}
	oversight.on["lianhua"] = alarm.Emergency{Scope: "lianhua", On: true, By: "zhao"}
	rules := &fakeRules{silences: []Silence{{ID: "mine", Grids: []string{"lh-g4-07"}}, {ID: "theirs", Grids: []string{"lh-g4-08"}}}}
	ls := newLoginSite(t, func(c *Config) {
		c.Broadcasts = fakeBroadcasts{{ID: "B1", Scope: "lh-g4-07"}, {ID: "B2", Scope: "lh-g4-08"}, {ID: "B3", Scope: ""}}
		c.Rules = rules
	})
	ls.s.cfg.Oversight = oversight
	c, _ := ls.login(t, "li", liPassword)
	for _, tc := range []struct{ path, want, not string }{
		{"/api/v1/broadcasts", `"id":"B1"`, `"id":"B2"`},
		{"/api/v1/broadcasts", `"id":"B3"`, `"id":"B2"`},
		{"/api/v1/emergencies", `"grid":"lianhua"`, `"grid":"lh-g4-08"`},
		{"/api/v1/silences", `"id":"mine"`, `"id":"theirs"`},
	} {
		path := tc.path
		if path == "/api/v1/emergencies" {
			path = "/api/v1/emergency"
		}
		rec := ls.do(t, req{method: "GET", path: path, cookie: c})
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), tc.want) || strings.Contains(rec.Body.String(), tc.not) {
			t.Errorf("GET %s as li: %d %s; want %s and not %s", path, rec.Code, rec.Body, tc.want, tc.not)
		}
	}
	if rec := ls.do(t, req{method: "GET", path: "/api/v1/broadcasts/B2", cookie: c}); rec.Code != 403 {
		t.Errorf("li reads broadcast B2 of lh-g4-08: %d, want 403", rec.Code)
	}
	if len(rules.silences) != 2 || rules.silences[1].ID != "theirs" {
		t.Errorf("cutting the answer changed the service's own list: %+v", rules.silences)
	}
	rec := ls.do(t, req{method: "GET", path: "/api/v1/silences", token: wangToken})
	if !strings.Contains(rec.Body.String(), `"theirs"`) {
		t.Errorf("the security room sees every silence: %s", rec.Body)
	}
}
