package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/county"
	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// fakeCounty is a county view holding fixed alarms; Act answers with
// reply or err, and remembers what it was asked.
type fakeCounty struct {
	mu     sync.Mutex // the browser's requests come at once
	alarms []county.Alarm
	reply  countywire.Reply
	err    error
	filter county.Filter
	acted  []string
	fanned []string
}

func (c *fakeCounty) List(f county.Filter) []county.Alarm {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.filter = f
	var out []county.Alarm
	for _, a := range c.alarms {
		if f.Visible == nil || f.Visible(&a) {
			out = append(out, a)
		}
	}
	return out
}
func (c *fakeCounty) Get(k county.Key) (county.Alarm, bool) {
	for _, a := range c.alarms {
		if a.Key() == k {
			return a, true
		}
	}
	return county.Alarm{}, false
}
func (c *fakeCounty) Sites() []county.SiteHealth {
	return []county.SiteHealth{{Site: "lianhua", Online: true}}
}
func (c *fakeCounty) KPIs(since int64) county.KPIReport { return county.KPIReport{SinceMS: since} }
func (c *fakeCounty) Act(_ context.Context, who permit.Caller, k county.Key, action, note string) (countywire.Reply, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.acted = append(c.acted, fmt.Sprintf("%s %s %s %s", who.ID, k, action, note))
	return c.reply, c.err
}
func (c *fakeCounty) Emergency(_ context.Context, who permit.Caller, sites []string, grid string, on bool) ([]county.SiteReply, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fanned = append(c.fanned, fmt.Sprintf("emergency %s %v %s %v", who.ID, sites, grid, on))
	return []county.SiteReply{{Site: sites[0], Reply: &c.reply}}, c.err
}
func (c *fakeCounty) Broadcast(_ context.Context, who permit.Caller, sites []string, grid, text string) ([]county.SiteReply, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fanned = append(c.fanned, fmt.Sprintf("broadcast %s %v %s %s", who.ID, sites, grid, text))
	return []county.SiteReply{{Site: sites[0], Reply: &c.reply}}, c.err
}

var _ County = (*fakeCounty)(nil)

func countyServer(t *testing.T, c *fakeCounty) http.Handler {
	t.Helper()
	return newServer(t, testConfig(nil, func(cfg *Config) { cfg.County = c })).Handler()
}

func countyAlarm(site, id string) county.Alarm {
	a := county.Alarm{Alarm: alarm.Alarm{ID: id, State: alarm.Open, Timeline: []alarm.Entry{{Kind: alarm.EntryRaised}}},
		ID: site + "/" + id, SiteAlarmID: id, Site: site}
	return a
}

func TestCountyAlarms(t *testing.T) {
	c := &fakeCounty{alarms: []county.Alarm{countyAlarm("lianhua", "A1")}}
	h := countyServer(t, c)
	code, body, _ := call(t, h, "GET", "/api/v1/alarms?state=all&site=lianhua&street=%E8%8E%B2%E8%8A%B1&community=lh&grid=g1&since=5&limit=9", wangToken, "", "")
	if code != 200 || !strings.Contains(body, `"id":"lianhua/A1"`) || !strings.Contains(body, `"site":"lianhua"`) || strings.Contains(body, "timeline") {
		t.Errorf("list: %d %s", code, body)
	}
	want := county.Filter{State: alarm.FilterAll, Site: "lianhua", Street: "莲花", Community: "lh", Grid: "g1", Since: 5, Limit: 9}
	if c.filter.Visible == nil {
		t.Error("the list was not cut down to what the caller sees")
	}
	c.filter.Visible = nil
	if !reflect.DeepEqual(c.filter, want) {
		t.Errorf("filter = %+v; want %+v", c.filter, want)
	}
	for _, bad := range []string{"?state=closed", "?site=a%2Fb", "?limit=0", "?since=x", "?device=x", "?site=a&site=b"} {
		if code, body, _ := call(t, h, "GET", "/api/v1/alarms"+bad, wangToken, "", ""); code != 400 {
			t.Errorf("list%s: %d %s; want 400", bad, code, body)
		}
	}
	for target, want := range map[string]int{
		"/api/v1/alarms/lianhua%2FA1": 200, "/api/v1/alarms/lianhua%2FA2": 404, "/api/v1/alarms/A1": 400,
		"/api/v1/county/sites": 200, "/api/v1/county/kpis?since=1": 200, "/api/v1/county/kpis?since=-1": 400,
		// The gateway's own routes are not the county's.
		"/api/v1/audit": 404, "/api/v1/places/x": 404, "/api/v1/emergency": 404,
	} {
		if code, body, _ := call(t, h, "GET", target, wangToken, "", ""); code != want {
			t.Errorf("GET %s: %d %s; want %d", target, code, body, want)
		}
	}
	if code, _, _ := call(t, h, "GET", "/api/v1/alarms", "", "", ""); code != 401 {
		t.Errorf("county list without a login: %d; want 401", code)
	}
}

func TestCountyAct(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply countywire.Reply
		err   error
		want  int
	}{
		{"the site accepts", countywire.Reply{ID: "r", OK: true, Status: 200}, nil, 200},
		{"the site refuses", countywire.Reply{ID: "r", Status: 403, Error: "not here"}, nil, 403},
		{"a reply without a status", countywire.Reply{ID: "r"}, nil, 502},
		{"no reply", countywire.Reply{}, county.ErrNoReply, 504},
		{"the county refuses", countywire.Reply{}, fmt.Errorf("%w: pol1 is police", county.ErrForbidden), 403},
		{"not connected", countywire.Reply{}, county.ErrNotConnected, 503},
		{"unknown alarm", countywire.Reply{}, county.ErrNotFound, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &fakeCounty{alarms: []county.Alarm{countyAlarm("lianhua", "A1")}, reply: tc.reply, err: tc.err}
			h := countyServer(t, c)
			code, body, _ := call(t, h, "POST", "/api/v1/alarms/lianhua%2FA1/ack", wangToken, "application/json", `{"note":"县里已知"}`)
			if code != tc.want {
				t.Fatalf("ack: %d %s; want %d", code, body, tc.want)
			}
			if len(c.acted) != 1 || c.acted[0] != "wang lianhua/A1 ack 县里已知" {
				t.Errorf("acted = %q", c.acted)
			}
		})
	}
	c := &fakeCounty{reply: countywire.Reply{OK: true, Status: 200}}
	h := countyServer(t, c)
	for target, want := range map[string]int{"/api/v1/alarms/lianhua%2FA1/delete": 404, "/api/v1/alarms/A1/ack": 400} {
		if code, body, _ := call(t, h, "POST", target, wangToken, "application/json", `{}`); code != want {
			t.Errorf("POST %s: %d %s; want %d", target, code, body, want)
		}
	}
	code, body, _ := call(t, h, "POST", "/api/v1/county/broadcasts", wangToken, "application/json", `{"sites":["lianhua"],"grid":"lh","text":"暴雨"}`)
	if code != 200 || !strings.Contains(body, `"site":"lianhua"`) {
		t.Errorf("broadcast: %d %s", code, body)
	}
	if code, body, _ := call(t, h, "POST", "/api/v1/county/emergency", wangToken, "application/json", `{"sites":["lianhua"],"grid":"lh","on":true,"text":"x"}`); code != 400 {
		t.Errorf("emergency with a text: %d %s; want 400", code, body)
	}
	for _, body := range []string{`{"sites":["lianhua"],"on":false}`, `{"sites":["lianhua"],"grid":"lh","whole_site":true,"on":false}`} {
		if code, got, _ := call(t, h, "POST", "/api/v1/county/emergency", wangToken, "application/json", body); code != 400 {
			t.Errorf("emergency %s: %d %s; want 400 (a cell or the whole site, one of them)", body, code, got)
		}
	}
	if code, got, _ := call(t, h, "POST", "/api/v1/county/emergency", wangToken, "application/json", `{"sites":["lianhua"],"whole_site":true,"on":false}`); code != 200 {
		t.Errorf("emergency off for the whole site: %d %s", code, got)
	}
	if want := []string{"broadcast wang [lianhua] lh 暴雨", "emergency wang [lianhua]  false"}; !slices.Equal(c.fanned, want) {
		t.Errorf("fanned = %q; want %q", c.fanned, want)
	}
}

// TestCountyScope: county staff who serve a cell below the county's root
// see, fetch and act on only the alarms at or below it.
func TestCountyScope(t *testing.T) {
	mine, theirs := countyAlarm("lianhua", "A1"), countyAlarm("jinhu", "B1")
	mine.GridPath, theirs.GridPath = []string{"lh-g4-07", "lianhua"}, []string{"g1"}
	c := &fakeCounty{alarms: []county.Alarm{mine, theirs}, reply: countywire.Reply{OK: true, Status: 200}}
	const liToken = "li-token-0123456789"
	h := newServer(t, testConfig(nil, func(cfg *Config) {
		cfg.County = c
		cfg.Tokens["li"] = liToken
	})).Handler()
	code, body, _ := call(t, h, "GET", "/api/v1/alarms", liToken, "", "")
	if code != 200 || !strings.Contains(body, "lianhua/A1") || strings.Contains(body, "jinhu/B1") {
		t.Errorf("li's list: %d %s; want lianhua/A1 only", code, body)
	}
	if code, body, _ := call(t, h, "GET", "/api/v1/alarms/jinhu%2FB1", liToken, "", ""); code != 403 {
		t.Errorf("li fetching another cell's alarm: %d %s; want 403", code, body)
	}
	if code, body, _ := call(t, h, "GET", "/api/v1/alarms", wangToken, "", ""); !strings.Contains(body, "jinhu/B1") || !strings.Contains(body, "lianhua/A1") {
		t.Errorf("wang (serves every root) list: %d %s; want both", code, body)
	}
}
