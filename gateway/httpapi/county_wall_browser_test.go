package httpapi

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gridwatch/gridwatch/gateway/county"
	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// hallCounty is a county view for the command hall's panels: its sites'
// health can change while the screen shows it, List applies the site and
// cell filters as the county view does, KPIs are fixed, and Broadcast
// answers each site as replies says (no entry: no reply in time).
type hallCounty struct {
	fakeCounty
	mu      sync.Mutex
	sites   []county.SiteHealth
	kpis    county.KPIReport
	replies map[string]countywire.Reply
	asked   []string
}

func (c *hallCounty) List(f county.Filter) []county.Alarm {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []county.Alarm
	for _, a := range c.alarms {
		if f.Site != "" && a.Site != f.Site {
			continue
		}
		ok := true
		for _, g := range []string{f.Grid, f.Street, f.Community} {
			if g != "" && !a.InGrid(g) && !slices.Contains(a.GridNames, g) {
				ok = false
			}
		}
		if ok {
			out = append(out, a)
		}
	}
	return out
}

func (c *hallCounty) Sites() []county.SiteHealth {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sites)
}

func (c *hallCounty) setSite(h county.SiteHealth) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.sites {
		if c.sites[i].Site == h.Site {
			c.sites[i] = h
		}
	}
}

func (c *hallCounty) KPIs(int64) county.KPIReport { return c.kpis }

func (c *hallCounty) Broadcast(_ context.Context, who permit.Caller, sites []string, grid, text string) ([]county.SiteReply, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = append(c.asked, fmt.Sprintf("broadcast %s %v %q %q", who.ID, sites, grid, text))
	var out []county.SiteReply
	for _, s := range sites {
		r := county.SiteReply{Site: s, RequestID: "c-" + s}
		if rep, ok := c.replies[s]; ok {
			r.Reply = &rep
		} else {
			r.Error = "county: no reply from " + s + " in time"
		}
		out = append(out, r)
	}
	return out, nil
}

func (c *hallCounty) Emergency(_ context.Context, who permit.Caller, sites []string, grid string, on bool) ([]county.SiteReply, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = append(c.asked, fmt.Sprintf("emergency %s %v %q %v", who.ID, sites, grid, on))
	out := []county.SiteReply{}
	for _, s := range sites {
		out = append(out, county.SiteReply{Site: s, RequestID: "c-" + s, Reply: &countywire.Reply{ID: "c-" + s, Status: 403, Error: "not allowed here"}})
	}
	return out, nil
}

func (c *hallCounty) broadcasts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.asked)
}

// TestCountyHallInChromium: in county mode the wall screen shows every
// site's health (an offline and a lagging site stand out, first), the
// KPIs of the county, each site and each cell, narrows the queue by site
// and by street, follows a site's health from the stream, and sends a
// broadcast to two sites, listing each site's reply.
func TestCountyHallInChromium(t *testing.T) {
	a := countyAlarm("lianhua", "A1")
	a.Severity, a.Title, a.DeviceName = "red", "一键报警", "莲花路7号"
	a.GridPath, a.GridNames = []string{"lh-g1", "lianhua", "jd-dong"}, []string{"一网格", "莲花社区", "东城街道"}
	b := countyAlarm("jinhu", "A1")
	b.Severity, b.Title, b.Device = "orange", "门禁", "rd-1"
	b.GridPath, b.GridNames = []string{"jh-g2", "jinhu", "jd-xi"}, []string{"二网格", "金湖社区", "西城街道"}
	stat := func(n int, med, p90 int64) county.Stat { return county.Stat{Count: n, MedianMS: med, P90MS: p90} }
	c := &hallCounty{
		fakeCounty: fakeCounty{alarms: []county.Alarm{a, b}},
		sites: []county.SiteHealth{
			{Site: "lianhua", Online: true, StatusKnown: true, Ready: true, SummaryMS: 1, SummaryAgeMS: 12000, UplinkLagMS: 800,
				DevicesOffline: 2, OfflineDevices: []string{"lb-3", "lb-9"}, OpenAlarms: 1},
			{Site: "jinhu", Online: false, StatusKnown: true, Ready: false, SummaryMS: 1, SummaryAgeMS: 300000, Stale: true, OpenAlarms: 1},
			{Site: "taohua", Online: true, StatusKnown: true, Ready: true, SummaryMS: 1, SummaryAgeMS: 5000, UplinkLagMS: 95000, UplinkBacklog: 4321},
		},
		kpis: county.KPIReport{
			County: county.KPI{Alarms: 2, ToPage: stat(2, 3000, 5000), ToAck: stat(1, 42000, 90000)},
			Sites: map[string]county.KPI{
				"lianhua": {Alarms: 1, ToPage: stat(1, 3000, 3000), ToAck: stat(1, 42000, 42000), ToArrive: stat(1, 420000, 420000)},
				"jinhu":   {Alarms: 1, ToPage: stat(1, 5000, 5000)},
			},
			Grids: map[string]county.GridKPI{"lh-g1": {Name: "一网格", KPI: county.KPI{Alarms: 1, ToAck: stat(1, 42000, 42000)}}},
		},
		replies: map[string]countywire.Reply{"lianhua": {ID: "c-lianhua", OK: true, Status: 200}},
	}
	s := newServer(t, testConfig(nil, func(cfg *Config) { cfg.County, cfg.Auth = c, false }))
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	ctx := chromium(t)
	testsvc.FailOnScriptErrors(t, ctx, "the county wall screen")

	// text reads an element's text in one step in the page: the panels
	// are redrawn every second, so a node found first may be gone when read.
	text := func(sel string) string {
		t.Helper()
		var s string
		js := fmt.Sprintf(`(document.querySelector(%q) || {textContent: "<none>"}).textContent`, sel)
		if err := chromedp.Run(ctx, chromedp.Evaluate(js, &s)); err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	var firstSites []string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(`#site-rows tr[data-site="taohua"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#kpi-rows tr[data-kpi="grid"][data-key="lh-g1"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#alarm-rows tr[data-alarm-id="jinhu/A1"]`, chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll("#site-rows tr")].map((r) => r.dataset.site + ":" + r.dataset.alert)`, &firstSites),
	); err != nil {
		t.Fatal(err)
	}
	// The gateway's plan and device health give way to the county's panels.
	var planHidden, healthHidden bool
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.getElementById("plan-section").hidden`, &planHidden),
		chromedp.Evaluate(`document.getElementById("health").hidden`, &healthHidden)); err != nil {
		t.Fatal(err)
	}
	if !planHidden || !healthHidden {
		t.Errorf("plan hidden %v, device health hidden %v; want both hidden in county mode", planHidden, healthHidden)
	}
	if want := []string{"jinhu:offline", "taohua:lagging", "lianhua:"}; !slices.Equal(firstSites, want) {
		t.Errorf("site rows %v; want the sites in trouble first, marked: %v", firstSites, want)
	}
	for sel, want := range map[string]string{
		`#site-rows tr[data-site="jinhu"] td.link`:       "离线",
		`#site-rows tr[data-site="jinhu"] td.ready`:      "未就绪",
		`#site-rows tr[data-site="taohua"] td.lag`:       "1m35s",
		`#site-rows tr[data-site="taohua"] td.backlog`:   "4321",
		`#site-rows tr[data-site="lianhua"] td.offline`:  "2",
		`#site-rows tr[data-site="lianhua"] td.open`:     "1",
		`#site-count-offline`:                            "1",
		`#site-count-lagging`:                            "1",
		`#kpi-rows tr[data-kpi="county"] td.page.p50`:    "3s",
		`#kpi-rows tr[data-kpi="county"] td.ack.p90`:     "1m30s",
		`#kpi-rows tr[data-key="lianhua"] td.arrive.p50`: "7m00s",
		`#kpi-rows tr[data-key="jinhu"] td.ack.p50`:      "—",
		`#kpi-rows tr[data-key="lh-g1"] td.name`:         "一网格",
		`#kpi-rows tr[data-key="lh-g1"] td.ack.p90`:      "42s",
	} {
		if got := text(sel); got != want {
			t.Errorf("%s = %q; want %q", sel, got, want)
		}
	}
	if got := text(`#site-rows tr[data-site="lianhua"] td.summary`); !strings.HasPrefix(got, "1") || !strings.HasSuffix(got, "s") {
		t.Errorf("lianhua's last summary %q; want about 12s ago", got)
	}

	// A site's health from the stream shows at once.
	c.setSite(county.SiteHealth{Site: "jinhu", Online: true, StatusKnown: true, Ready: true, SummaryMS: 2, SummaryAgeMS: 1000})
	s.PublishSite(county.SiteHealth{Site: "jinhu", Online: true, StatusKnown: true, Ready: true, SummaryMS: 2, SummaryAgeMS: 1000})
	if err := chromedp.Run(ctx, chromedp.WaitVisible(`#site-rows tr[data-site="jinhu"][data-online="true"][data-alert=""]`, chromedp.ByQuery)); err != nil {
		t.Fatalf("jinhu back online: %v", err)
	}

	// Filters narrow the queue: by site, then by street name.
	rows := func() []string {
		t.Helper()
		var ids []string
		if err := chromedp.Run(ctx, chromedp.Evaluate(`[...document.querySelectorAll("#alarm-rows tr")].map((r) => r.dataset.alarmId)`, &ids)); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if err := chromedp.Run(ctx,
		chromedp.SetValue(`#filter-site`, "jinhu", chromedp.ByID),
		chromedp.Evaluate(`document.getElementById("filter-site").dispatchEvent(new Event("change"))`, nil),
		chromedp.WaitNotPresent(`#alarm-rows tr[data-alarm-id="lianhua/A1"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("filter by site: %v", err)
	}
	if got := rows(); !slices.Equal(got, []string{"jinhu/A1"}) {
		t.Errorf("queue filtered to jinhu: %v", got)
	}
	if err := chromedp.Run(ctx,
		chromedp.SetValue(`#filter-site`, "", chromedp.ByID),
		chromedp.SendKeys(`#filter-street`, "东城街道\r", chromedp.ByID),
		chromedp.WaitVisible(`#alarm-rows tr[data-alarm-id="lianhua/A1"]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`#alarm-rows tr[data-alarm-id="jinhu/A1"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("filter by street: %v", err)
	}
	if got := rows(); !slices.Equal(got, []string{"lianhua/A1"}) {
		t.Errorf("queue filtered to 东城街道: %v", got)
	}
	// A stream alarm outside the filter stays out of the queue.
	s.PublishCountyAlarm(b)

	// A broadcast to two sites lists each site's reply.
	if err := chromedp.Run(ctx,
		chromedp.Click(`#open-broadcast`, chromedp.ByID),
		chromedp.WaitVisible(`#tool-sites input[value="jinhu"]`, chromedp.ByQuery),
		chromedp.Click(`#tool-sites input[value="lianhua"]`, chromedp.ByQuery),
		chromedp.Click(`#tool-sites input[value="jinhu"]`, chromedp.ByQuery),
		chromedp.SendKeys(`#tool-grid`, "lh-g1", chromedp.ByID),
		chromedp.SendKeys(`#tool-text`, "台风预警", chromedp.ByID),
		chromedp.Click(`#tool-submit`, chromedp.ByID),
		chromedp.WaitVisible(`#tool-replies li[data-site="jinhu"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("broadcast: %v", err)
	}
	if got, want := c.broadcasts(), []string{`broadcast console [jinhu lianhua] "lh-g1" "台风预警"`}; !slices.Equal(got, want) {
		t.Errorf("county asked %q; want %q", got, want)
	}
	var replies []string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`[...document.querySelectorAll("#tool-replies li")].map((l) => l.dataset.site + ":" + l.dataset.reply)`, &replies)); err != nil {
		t.Fatal(err)
	}
	if want := []string{"jinhu:no_reply", "lianhua:accepted"}; !slices.Equal(replies, want) {
		t.Errorf("replies %v; want %v", replies, want)
	}
	if got := rows(); !slices.Equal(got, []string{"lianhua/A1"}) {
		t.Errorf("after a stream alarm of another street the queue is %v; want only lianhua/A1", got)
	}

	// Emergency mode off at one site, which refuses: its status and reason show.
	if err := chromedp.Run(ctx,
		chromedp.Click(`#tool-close`, chromedp.ByID),
		chromedp.Click(`#open-emergency`, chromedp.ByID),
		chromedp.WaitVisible(`#tool-sites input[value="taohua"]`, chromedp.ByQuery),
		chromedp.Click(`#tool-sites input[value="taohua"]`, chromedp.ByQuery),
		chromedp.SendKeys(`#tool-grid`, "th", chromedp.ByID),
		chromedp.Click(`input[name="tool-on"][value="off"]`, chromedp.ByQuery),
		chromedp.Click(`#tool-submit`, chromedp.ByID),
		chromedp.WaitVisible(`#tool-replies li[data-site="taohua"][data-reply="refused"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("emergency: %v", err)
	}
	if got := text(`#tool-replies li[data-site="taohua"]`); !strings.Contains(got, "403 not allowed here") {
		t.Errorf("taohua's reply reads %q; want its status and reason", got)
	}
	if got := c.broadcasts(); len(got) != 2 || got[1] != `emergency console [taohua] "th" false` {
		t.Errorf("county asked %q; want the broadcast, then emergency off at taohua", got)
	}

	// English on the toggle.
	if err := chromedp.Run(ctx, chromedp.Click(`#tool-close`, chromedp.ByID), chromedp.Click(`#lang`, chromedp.ByID)); err != nil {
		t.Fatal(err)
	}
	if got := text(`#site-rows tr[data-site="lianhua"] td.link`); got != "online" {
		t.Errorf("in English lianhua's link reads %q; want online", got)
	}
	if got := text(`#app-title`); got != "gridwatch county command hall" {
		t.Errorf("title %q", got)
	}
}

// TestCountySiteMay: in county mode GET /api/v1/site says so, and offers
// broadcast and emergency (the county's) to the command centre but not to
// a grid member, and none of the gateway's other tools.
func TestCountySiteMay(t *testing.T) {
	const liToken = "li-token-0123456789"
	h := newServer(t, testConfig(nil, func(cfg *Config) {
		cfg.County, cfg.Tokens = &fakeCounty{}, map[string]string{"zhao": zhaoToken, "li": liToken}
	})).Handler()
	for _, tc := range []struct {
		token string
		want  string
	}{
		{zhaoToken, `"may":["act","broadcast","emergency"],"county":true`},
		{liToken, `"may":["act"],"county":true`},
	} {
		code, body, _ := call(t, h, "GET", "/api/v1/site", tc.token, "", "")
		if code != 200 || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s; want %s", tc.token, code, body, tc.want)
		}
	}
	code, body, _ := call(t, newServer(t, testConfig(newFakeDesk(), nil)).Handler(), "GET", "/api/v1/site", wangToken, "", "")
	if code != 200 || strings.Contains(body, `"county"`) {
		t.Errorf("a gateway's site: %d %s; want no county field", code, body)
	}
}
