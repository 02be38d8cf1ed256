package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestCountyEmergencyBannerInChromium is the hall's view of emergency
// mode: lianhua's retained summary says a cell and the whole site are
// flat, jinhu's (its will said offline) that a cell was. The banner lists
// each scope with its site, cell, time and who, jinhu's marked as last
// known; the site rows carry the mark; the emergency tool lists what is
// in force, each scope with a switch-off button, and switches lianhua's
// cell and then its whole site off by request; once lianhua's next
// summary says off, its lines leave the banner while jinhu's stay.
func TestCountyEmergencyBannerInChromium(t *testing.T) {
	hall := newCountyHall(t)
	dir, bin, lianhua, jinhu := hall.dir, hall.bin, hall.lianhua, hall.jinhu
	now := time.Now().UnixMilli()
	summary := func(s *countySite, seq uint64, e *countywire.Emergency) {
		t.Helper()
		s.publish(s.tp.Summary(), true, countywire.Record{ID: countywire.MakeID(s.tp.Site, seq), County: "qx", Site: s.tp.Site, Seq: seq,
			Kind: countywire.KindSummary, AtMS: time.Now().UnixMilli(), Summary: &countywire.Summary{Ready: true, Emergency: e}})
	}
	lianhua.publish(lianhua.tp.Status(), true, countywire.Status{Online: true, AtMS: now})
	summary(lianhua, 100, &countywire.Emergency{Scopes: []countywire.EmergencyScope{
		{Grid: countywire.SiteWide, By: "room1", AtMS: now - 120000},
		{Grid: "lh-g1", GridName: "一网格", By: "cmd1", AtMS: now - 60000},
	}})
	summary(jinhu, 50, &countywire.Emergency{Scopes: []countywire.EmergencyScope{{Grid: "jh-g2", GridName: "二网格", By: "room9", AtMS: now - 30000}}})
	jinhu.publish(jinhu.tp.Status(), true, countywire.Status{Online: false, AtMS: now})

	view := startCountyView(t, bin, dir, hall.broker, 3*time.Second)
	ctx := testsvc.Browser(t, 120*time.Second, chromedp.WindowSize(1920, 1080))
	testsvc.FailOnScriptErrors(t, ctx, "the county hall's emergency banner")
	lines := func() []string {
		t.Helper()
		var out []string
		if err := chromedp.Run(ctx, chromedp.Evaluate(`[...document.querySelectorAll("#county-emergency-list li")]
			.map((l) => l.dataset.site + "/" + l.dataset.grid + "/" + l.dataset.stale)`, &out)); err != nil {
			t.Fatal(err)
		}
		return out
	}
	dump := func() string {
		var d string
		_ = chromedp.Run(ctx, chromedp.Evaluate(`document.getElementById("county-emergency").outerHTML + "\n" +
			[...document.querySelectorAll("#site-rows tr")].map((r) => JSON.stringify(r.dataset) + " " + r.textContent).join("\n") +
			"\n" + document.getElementById("tool-current").textContent + " | " + document.getElementById("tool-result").textContent +
			" | " + document.getElementById("error").textContent`, &d))
		return d
	}
	if err := hallLogin(t, ctx, view.HTTP,
		chromedp.WaitVisible(`#county-emergency li[data-site="jinhu"][data-stale="true"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#county-emergency li[data-site="lianhua"][data-grid="lh-g1"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#site-rows tr[data-site="lianhua"][data-emergency="on"] .tag[data-emergency="on"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#site-rows tr[data-site="jinhu"][data-emergency="stale"]`, chromedp.ByQuery),
	); err != nil {
		testsvc.Screenshot(t, ctx, "county-emergency-failed.png")
		t.Fatalf("the banner: %v\n%s", err, dump())
	}
	testsvc.Screenshot(t, ctx, "county-emergency.png")
	if got, want := lines(), []string{"jinhu/jh-g2/true", "lianhua//false", "lianhua/lh-g1/false"}; !slices.Equal(got, want) {
		t.Errorf("banner lines %v; want %v", got, want)
	}
	var text string
	if err := chromedp.Run(ctx, chromedp.Text(`#county-emergency li[data-grid="lh-g1"]`, &text, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if want := "lianhua · 一网格 (lh-g1) · 开启于 " + time.UnixMilli(now-60000).Format("15:04:05") + " · 开启人 cmd1"; text != want {
		t.Errorf("lianhua's cell line %q; want %q", text, want)
	}

	// The tool lists what is in force and switches lianhua's cell off.
	var buttons []string
	wait2, cancel2 := context.WithTimeout(ctx, 30*time.Second)
	defer cancel2()
	if err := chromedp.Run(wait2,
		chromedp.Click(`#open-emergency`, chromedp.ByID),
		chromedp.WaitVisible(`#tool-current button.switch-off[data-site="lianhua"][data-grid="lh-g1"]`, chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll("#tool-current button.switch-off")].map((b) => b.dataset.site + "/" + b.dataset.grid)`, &buttons),
		chromedp.Click(`#tool-current button.switch-off[data-site="lianhua"][data-grid="lh-g1"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#tool-replies li[data-site="lianhua"][data-reply="accepted"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("switch off: %v\n%s", err, dump())
	}
	if want := []string{"jinhu/jh-g2", "lianhua/", "lianhua/lh-g1"}; !slices.Equal(buttons, want) {
		t.Errorf("switch-off buttons %v; want %v", buttons, want)
	}
	request := func() countywire.Request {
		t.Helper()
		select {
		case r := <-lianhua.seen:
			return r
		case <-time.After(10 * time.Second):
			t.Fatal("lianhua got no request")
		}
		return countywire.Request{}
	}
	if r := request(); r.Action != countywire.ActEmergency || r.Grid != "lh-g1" || r.WholeSite || r.On || r.By != "cmd1" {
		t.Errorf("lianhua got %+v; want emergency off for lh-g1 by cmd1", r)
	}
	wait4, cancel4 := context.WithTimeout(ctx, 30*time.Second)
	defer cancel4()
	if err := chromedp.Run(wait4,
		chromedp.Evaluate(`document.getElementById("tool-result").textContent = ""`, nil),
		chromedp.Click(`#tool-current button.switch-off[data-site="lianhua"][data-grid=""]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#tool-replies li[data-site="lianhua"][data-reply="accepted"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("switch off the whole site: %v\n%s", err, dump())
	}
	if r := request(); r.Action != countywire.ActEmergency || r.Grid != "" || !r.WholeSite || r.On || r.By != "cmd1" {
		t.Errorf("lianhua got %+v; want emergency off for the whole site by cmd1", r)
	}

	// lianhua's next summary says off: its lines go, jinhu's stay.
	summary(lianhua, 101, &countywire.Emergency{Scopes: []countywire.EmergencyScope{}})
	wait3, cancel3 := context.WithTimeout(ctx, 30*time.Second)
	defer cancel3()
	if err := chromedp.Run(wait3,
		chromedp.WaitNotPresent(`#county-emergency li[data-site="lianhua"]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`#tool-current button.switch-off[data-site="lianhua"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#site-rows tr[data-site="lianhua"][data-emergency=""]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("after off: %v\n%s", err, dump())
	}
	if got, want := lines(), []string{"jinhu/jh-g2/true"}; !slices.Equal(got, want) {
		t.Errorf("banner lines after lianhua's off %v; want %v", got, want)
	}
	testsvc.Screenshot(t, ctx, "county-emergency-off.png")
}
