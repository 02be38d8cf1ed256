package httpapi

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/commission"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// siteWithDevices is the tests' site with a device in each block cell and
// one in g1; lb-0001 has an address and a camera.
const siteWithDevices = testSite + `
devices:
  - {id: lb-0001, kind: lightbox, grid: lh-g4-07, name: 莲花路12号, location: {lat: 33.3001, lon: 111.4902}, cameras: [cam-0001], attrs: {address: 莲花路12号东侧, vendor: acme}, password_hash: "` + liHash + `"}
  - {id: cam-0001, kind: camera, grid: lh-g4-07, name: 莲花路球机, location: {lat: 33.3002, lon: 111.4903}}
  - {id: lb-0002, kind: lightbox, grid: lh-g4-08, name: 新村路5号}
  - {id: lb-0009, kind: lightbox, grid: g1, name: 一号路1号}
`

// TestSiteCutToCells: GET /api/v1/site gives each caller the cells,
// devices and staff of their scope, with the grids' name paths, and the
// actions their role may take; no credential or phone number leaks.
func TestSiteCutToCells(t *testing.T) {
	ls := newLoginSite(t, nil)
	reg, err := registry.Parse("site.yaml", []byte(siteWithDevices))
	if err != nil {
		t.Fatal(err)
	}
	ls.reg.Store(reg)
	li, _ := ls.login(t, "li", liPassword)

	for _, tc := range []struct {
		name      string
		q         req
		grids     []string
		devices   []string
		staff     []string // some of them
		notStaff  []string
		may, mayN []string
	}{
		{name: "security room, both roots", q: req{token: wangToken},
			grids: []string{"g1", "lh-g4-07", "lh-g4-08", "lianhua"}, devices: []string{"cam-0001", "lb-0001", "lb-0002", "lb-0009"},
			// No broadcast or silence routes on this server: not offered.
			staff: []string{"li", "ma", "wang", "zhao"}, may: []string{"act", "emergency", "audit"}, mayN: []string{"broadcast", "silence", "rules", "cards"}},
		{name: "command centre, lianhua", q: req{token: zhaoToken},
			grids: []string{"lh-g4-07", "lh-g4-08", "lianhua"}, devices: []string{"cam-0001", "lb-0001", "lb-0002"},
			staff: []string{"li", "ma", "wang", "zhao"}, may: []string{"act", "emergency"}},
		{name: "grid member, lh-g4-07", q: req{cookie: li},
			grids: []string{"lh-g4-07"}, devices: []string{"cam-0001", "lb-0001"},
			staff: []string{"li", "wang", "zhao"}, notStaff: []string{"ma"}, may: []string{"act"}, mayN: []string{"emergency", "audit", "broadcast"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.method, tc.q.path = "GET", "/api/v1/site"
			rec := ls.do(t, tc.q)
			if rec.Code != 200 {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "argon2id") || strings.Contains(rec.Body.String(), "password") {
				t.Errorf("the answer carries a credential: %s", rec.Body)
			}
			var got site
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			var grids, devs []string
			for _, g := range got.Grids {
				grids = append(grids, g.ID)
			}
			for _, d := range got.Devices {
				devs = append(devs, d.ID)
			}
			if strings.Join(grids, ",") != strings.Join(tc.grids, ",") {
				t.Errorf("grids %v, want %v", grids, tc.grids)
			}
			if strings.Join(devs, ",") != strings.Join(tc.devices, ",") {
				t.Errorf("devices %v, want %v", devs, tc.devices)
			}
			staff := map[string]bool{}
			for _, s := range got.Staff {
				staff[s.ID] = true
			}
			for _, id := range tc.staff {
				if !staff[id] {
					t.Errorf("staff %s missing from %v", id, got.Staff)
				}
			}
			for _, id := range tc.notStaff {
				if staff[id] {
					t.Errorf("staff %s of another cell listed", id)
				}
			}
			may := " " + strings.Join(func() (s []string) {
				for _, a := range got.May {
					s = append(s, string(a))
				}
				return s
			}(), " ") + " "
			for _, a := range tc.may {
				if !strings.Contains(may, " "+a+" ") {
					t.Errorf("may %q lacks %s", may, a)
				}
			}
			for _, a := range tc.mayN {
				if strings.Contains(may, " "+a+" ") {
					t.Errorf("may %q has %s", may, a)
				}
			}
			for _, g := range got.Grids {
				if g.ID != "lh-g4-07" {
					continue
				}
				if len(g.Path) != 2 || g.Path[0].Name != "莲花社区" || g.Path[1].Name != "莲花四级网格7" {
					t.Errorf("lh-g4-07's path %+v, want 莲花社区 › 莲花四级网格7", g.Path)
				}
			}
			for _, d := range got.Devices {
				if d.ID != "lb-0001" {
					continue
				}
				if d.Address != "莲花路12号东侧" || d.Location == nil || d.Location.Lat != 33.3001 || len(d.Cameras) != 1 || d.Kind != "lightbox" {
					t.Errorf("lb-0001: %+v", d)
				}
			}
		})
	}
}

// TestSiteRefusals: the site needs a login like every read; an ended
// session is refused; each refusal is counted and audited.
func TestSiteRefusals(t *testing.T) {
	ls := newLoginSite(t, nil)
	li, who := ls.login(t, "li", liPassword)
	if rec := ls.do(t, req{method: "GET", path: "/api/v1/site"}); rec.Code != 401 {
		t.Errorf("no credentials: %d, want 401", rec.Code)
	}
	if rec := ls.do(t, req{method: "GET", path: "/api/v1/site?grid=g1", cookie: li}); rec.Code != 400 {
		t.Errorf("a query parameter: %d, want 400", rec.Code)
	}
	if rec := ls.do(t, req{method: "POST", path: "/api/v1/site", cookie: li, csrf: who.CSRFToken, body: "{}"}); rec.Code != 405 {
		t.Errorf("POST: %d, want 405", rec.Code)
	}
	ls.clock.add(2 * time.Hour) // past the idle timeout
	if rec := ls.do(t, req{method: "GET", path: "/api/v1/site", cookie: li}); rec.Code != 401 {
		t.Errorf("expired session: %d, want 401", rec.Code)
	}
	for _, reason := range []string{"no_credentials", "expired_session"} {
		if !strings.Contains(ls.logs.String(), "reason="+reason) {
			t.Errorf("refusal %s not audited:\n%s", reason, ls.logs.String())
		}
	}
}

// TestSiteMayFollowsRolesAndRoutes: with every route of the tools served,
// the security room may use them all (device commands and commissioning
// too), a grid member and the command centre neither; without the
// command or commissioning routes nobody is offered them.
func TestSiteMayFollowsRolesAndRoutes(t *testing.T) {
	ls := newLoginSite(t, func(c *Config) {
		c.Broadcasts = fakeBroadcasts{}
		c.Rules = &fakeRules{}
		c.Cards = &fakeCards{}
		c.Commands = silentDevice{}
		c.Commissioning = &commission.Service{}
	})
	li, _ := ls.login(t, "li", liPassword)
	bare := newLoginSite(t, nil)
	for _, tc := range []struct {
		name string
		ls   *loginSite
		q    req
		want string
	}{
		{"security room", ls, req{token: wangToken}, "act,broadcast,silence,emergency,rules,audit,cards,command,commission"},
		{"command centre", ls, req{token: zhaoToken}, "act,broadcast,silence,emergency,rules,audit,cards"},
		{"grid member", ls, req{cookie: li}, "act"},
		{"security room, no command routes", bare, req{token: wangToken}, "act,emergency,audit"},
	} {
		tc.q.method, tc.q.path = "GET", "/api/v1/site"
		rec := tc.ls.do(t, tc.q)
		var got site
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s: %d %s", tc.name, rec.Code, rec.Body)
		}
		var may []string
		for _, a := range got.May {
			may = append(may, string(a))
		}
		if strings.Join(may, ",") != tc.want {
			t.Errorf("%s may %v, want %s", tc.name, may, tc.want)
		}
	}
}
