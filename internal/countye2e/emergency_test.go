package countye2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// siteEmergency is a site's emergency mode as GET /api/v1/county/sites
// shows it.
type siteEmergency struct {
	On     bool `json:"on"`
	Stale  bool `json:"stale"`
	Scopes []struct {
		Grid     string `json:"grid"`
		GridName string `json:"grid_name"`
		By       string `json:"by"`
		AtMS     int64  `json:"at_ms"`
	} `json:"scopes"`
}

// emergency is site's emergency mode on the view (nil: unknown or no
// such site).
func (v *view) emergency(site string) *siteEmergency {
	var s struct {
		Sites []struct {
			Site      string         `json:"site"`
			Emergency *siteEmergency `json:"emergency"`
		} `json:"sites"`
	}
	if v.get("/api/v1/county/sites", &s) != 200 {
		return nil
	}
	for _, x := range s.Sites {
		if x.Site == site {
			return x.Emergency
		}
	}
	return nil
}

// scopes is e's scopes as "grid/by" ("-" for nil).
func (e *siteEmergency) scopes() string {
	if e == nil {
		return "-"
	}
	var out []string
	for _, s := range e.Scopes {
		out = append(out, s.Grid+"/"+s.By)
	}
	return strings.Join(out, ",")
}

// siteEmergencies is GET /api/v1/emergency at the gateway: the scopes on.
func (g *gateway) emergencies() string {
	g.t.Helper()
	var list struct {
		Emergencies []struct {
			Grid string `json:"grid"`
			By   string `json:"by"`
		} `json:"emergencies"`
	}
	if code := getJSON(g.t, g.http+"/api/v1/emergency", &list); code != 200 {
		g.t.Fatalf("%s: GET /api/v1/emergency: %d", g.site, code)
	}
	var out []string
	for _, e := range list.Emergencies {
		out = append(out, e.Grid+"/"+e.By)
	}
	return strings.Join(out, ",")
}

// TestCountyEmergency: the county sees where emergency mode is on. A
// site's security room switches a cell flat and the county's sites API
// shows it (cell, who, since when) within seconds; the county switches it
// off by request and both the site and the county show it off; the same
// for the whole site (the county's "whole_site"); the county switches the
// community's cell on, a county view started afterwards
// knows it from the retained summary alone; and once the site's gateway
// stops, the view keeps showing it, marked stale.
func TestCountyEmergency(t *testing.T) {
	bin := gridwatchd(t)
	cluster := countyNATS(t, 1)
	// Summaries an hour apart: what the county learns of a switch within
	// the test's waits, it learns from the summary the switch sends.
	g := newGatewayEvery(t, bin, "lianhua", cluster.Nodes[0].MQTTAddr, time.Hour)
	hash := hashPassword(t, bin, hallPassword)
	v := newView(t, bin, "view-1", cluster.Nodes[0].MQTTURL, hash)
	testsvc.Eventually(t, 60*time.Second, "lianhua online with its emergency mode told (off)", func() bool {
		e := v.emergency("lianhua")
		return v.online()["lianhua"] && e != nil && !e.On && !e.Stale
	})

	// 1. The site's security room switches its cell flat.
	cell := "lianhua-g1"
	before := time.Now()
	if code, body := post(t, http.DefaultClient, g.http+"/api/v1/emergency", fmt.Sprintf(`{"grid":%q,"on":true,"by":"room1"}`, cell), ""); code != 200 {
		t.Fatalf("site: emergency on: %d %s", code, body)
	}
	testsvc.Eventually(t, 30*time.Second, "the county shows lianhua-g1 flat by room1", func() bool {
		return v.emergency("lianhua").scopes() == cell+"/room1"
	})
	took := time.Since(before)
	e := v.emergency("lianhua")
	if !e.On || e.Stale || e.Scopes[0].GridName != "lianhua一网格" || e.Scopes[0].AtMS < before.UnixMilli()-1000 {
		t.Fatalf("the county shows %+v", e)
	}
	t.Logf("site switch → county API: %v", took)

	// 2. The county switches it off by request.
	code, body := post(t, v.c, v.base+"/api/v1/county/emergency", fmt.Sprintf(`{"sites":["lianhua"],"grid":%q,"on":false}`, cell), v.csrf)
	var ans struct {
		Results []struct {
			Site  string `json:"site"`
			Reply *struct {
				OK bool `json:"ok"`
			} `json:"reply"`
		} `json:"results"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &ans) != nil || len(ans.Results) != 1 || ans.Results[0].Reply == nil || !ans.Results[0].Reply.OK {
		t.Fatalf("county: emergency off: %d %s", code, body)
	}
	if got := g.emergencies(); got != "" {
		t.Fatalf("the site still has %q on after the county switched it off", got)
	}
	testsvc.Eventually(t, 30*time.Second, "the county shows lianhua off", func() bool {
		e := v.emergency("lianhua")
		return e != nil && !e.On && len(e.Scopes) == 0 && !e.Stale
	})

	// 2b. The same for the whole site ("grid": ""), which the county
	// names with "whole_site".
	if code, body := post(t, http.DefaultClient, g.http+"/api/v1/emergency", `{"grid":"","on":true,"by":"room1"}`, ""); code != 200 {
		t.Fatalf("site: emergency on for the whole site: %d %s", code, body)
	}
	testsvc.Eventually(t, 30*time.Second, "the county shows lianhua flat site-wide by room1", func() bool {
		return v.emergency("lianhua").scopes() == "/room1"
	})
	code, body = post(t, v.c, v.base+"/api/v1/county/emergency", `{"sites":["lianhua"],"whole_site":true,"on":false}`, v.csrf)
	if code != 200 || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("county: emergency off for the whole site: %d %s", code, body)
	}
	if got := g.emergencies(); got != "" {
		t.Fatalf("the site still has %q on after the county switched the whole site off", got)
	}
	testsvc.Eventually(t, 30*time.Second, "the county shows lianhua off again", func() bool {
		e := v.emergency("lianhua")
		return e != nil && !e.On && len(e.Scopes) == 0
	})

	// 3. The county switches the whole community on; a view started
	// afterwards knows from the retained summary.
	code, body = post(t, v.c, v.base+"/api/v1/county/emergency", `{"sites":["lianhua"],"grid":"lianhua","on":true}`, v.csrf)
	if code != 200 || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("county: emergency on: %d %s", code, body)
	}
	if got := g.emergencies(); got != "lianhua/cmd1" {
		t.Fatalf("the site has %q on; want lianhua by cmd1", got)
	}
	testsvc.Eventually(t, 30*time.Second, "view-1 shows lianhua flat by cmd1", func() bool {
		return v.emergency("lianhua").scopes() == "lianhua/cmd1"
	})
	v.proc.Stop()
	v2 := newView(t, bin, "view-2", cluster.Nodes[0].MQTTURL, hash)
	testsvc.Eventually(t, 30*time.Second, "a view started later shows lianhua flat by cmd1", func() bool {
		e := v2.emergency("lianhua")
		return e.scopes() == "lianhua/cmd1" && e.On && !e.Stale
	})

	// 4. The site's gateway stops: the view keeps what it knew, stale.
	g.gw.Stop()
	testsvc.Eventually(t, 30*time.Second, "lianhua offline, its emergency mode kept and stale", func() bool {
		e := v2.emergency("lianhua")
		return !v2.online()["lianhua"] && e.scopes() == "lianhua/cmd1" && e.Stale
	})
}
