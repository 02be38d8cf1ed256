package main

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestCountyHallInChromium is the county command hall's wall screen end
// to end: a real `gridwatchd county` on a real broker, two sites' uplinks
// (lianhua answers requests and reports a lagging uplink; jinhu is silent
// and its will said offline). The command centre logs in through the
// form and sees both sites' health, lianhua's KPIs and both alarms;
// the street filter narrows the queue; a broadcast to both sites reaches
// lianhua and lists lianhua accepted, jinhu without a reply. The police,
// whom the table allows neither broadcasts nor emergency mode, get
// neither form.
func TestCountyHallInChromium(t *testing.T) {
	hall := newCountyHall(t)
	dir, bin, lianhua, jinhu := hall.dir, hall.bin, hall.lianhua, hall.jinhu
	now := time.Now().UnixMilli()
	lianhua.publish(lianhua.tp.Status(), true, countywire.Status{Online: true, AtMS: now})
	lianhua.publish(lianhua.tp.Summary(), true, countywire.Record{ID: countywire.MakeID("lianhua", 100), County: "qx", Site: "lianhua", Seq: 100,
		Kind: countywire.KindSummary, AtMS: now, Summary: &countywire.Summary{Ready: true, OpenAlarms: 1, DevicesOnline: 40, DevicesOffline: 3,
			Backlog: 250, LagMS: 45000}})
	jinhu.publish(jinhu.tp.Status(), true, countywire.Status{Online: false, AtMS: now})
	a1 := alarm.Alarm{ID: "A1", Rule: "panic", Severity: "red", Device: "lb-0007", Grid: "lh-g1", State: alarm.Acknowledged, RaisedMS: now - 60000,
		Timeline: []alarm.Entry{{At: now - 60000, Kind: alarm.EntryRaised}, {At: now - 18000, Kind: alarm.EntryAck, By: "wang"}}}
	lianhua.alarm(countywire.StepAck, a1)
	b1 := alarm.Alarm{ID: "B1", Rule: "door", Severity: "orange", Device: "rd-1", Grid: "jh-g2", State: alarm.Open, RaisedMS: now,
		Timeline: []alarm.Entry{{At: now, Kind: alarm.EntryRaised}}}
	b1State, err := json.Marshal(b1)
	if err != nil {
		t.Fatal(err)
	}
	jinhu.publish(jinhu.tp.Alarm("B1"), true, countywire.Record{ID: countywire.MakeID("jinhu", 11), County: "qx", Site: "jinhu", Seq: 11,
		Kind: countywire.KindAlarm, AtMS: now, Alarm: &countywire.Alarm{Step: countywire.StepRaised, State: b1State,
			GridPath: []string{"jh-g2", "jinhu", "street-2"}, GridNames: []string{"二网格", "金湖社区", "金湖街道"}, DeviceName: "金湖门禁"}})

	view := startCountyView(t, bin, dir, hall.broker, 3*time.Second)

	ctx := testsvc.Browser(t, 120*time.Second, chromedp.WindowSize(1920, 1080))
	testsvc.FailOnScriptErrors(t, ctx, "the county hall's wall screen")
	eval := func(js string, out any) {
		t.Helper()
		if err := chromedp.Run(ctx, chromedp.Evaluate(js, out)); err != nil {
			t.Fatalf("%s: %v", js, err)
		}
	}
	if err := hallLogin(t, ctx, view.HTTP,
		chromedp.WaitVisible(`#site-rows tr[data-site="jinhu"][data-alert="offline"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#site-rows tr[data-site="lianhua"][data-alert="lagging"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#alarm-rows tr[data-alarm-id="jinhu/B1"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#alarm-rows tr[data-alarm-id="lianhua/A1"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#kpi-rows tr[data-kpi="site"][data-key="lianhua"]`, chromedp.ByQuery),
	); err != nil {
		var dump string
		_ = chromedp.Run(ctx, chromedp.Evaluate(`[...document.querySelectorAll("#site-rows tr, #alarm-rows tr, #kpi-rows tr")]
			.map((r) => JSON.stringify(r.dataset) + " " + r.textContent).join("\n") + "\n" + document.getElementById("error").textContent + " conn=" + document.getElementById("conn").dataset.state +
			" mode=" + document.body.dataset.mode + " who=" + document.getElementById("whoami").textContent`, &dump))
		testsvc.Screenshot(t, ctx, "county-hall-failed.png")
		t.Fatalf("the hall's panels: %v\n%s", err, dump)
	}
	testsvc.Screenshot(t, ctx, "county-hall.png")
	var figures []string
	eval(`["#site-rows tr[data-site=lianhua] td.backlog", "#site-rows tr[data-site=lianhua] td.lag", "#site-rows tr[data-site=lianhua] td.offline",
		"#site-rows tr[data-site=jinhu] td.link", "#kpi-rows tr[data-key=lianhua] td.ack.p50", "#kpi-rows tr[data-key=lianhua] td.alarms"]
		.map((s) => document.querySelector(s).textContent)`, &figures)
	if want := []string{"250", "45s", "3", "离线", "42s", "1"}; !slices.Equal(figures, want) {
		t.Errorf("lianhua backlog, lag, offline devices; jinhu link; lianhua press→ack median, alarms = %q; want %q", figures, want)
	}

	// The street filter narrows the queue (the API's street=).
	if err := chromedp.Run(ctx,
		chromedp.SendKeys(`#filter-street`, "金湖街道\r", chromedp.ByID),
		chromedp.WaitNotPresent(`#alarm-rows tr[data-alarm-id="lianhua/A1"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#alarm-rows tr[data-alarm-id="jinhu/B1"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("street filter: %v", err)
	}

	// A broadcast to both sites.
	wait2, cancel2 := context.WithTimeout(ctx, 30*time.Second)
	defer cancel2()
	if err := chromedp.Run(wait2,
		chromedp.Click(`#open-broadcast`, chromedp.ByID),
		chromedp.Click(`#tool-all-sites`, chromedp.ByID),
		chromedp.SendKeys(`#tool-grid`, "lh", chromedp.ByID),
		chromedp.SendKeys(`#tool-text`, "暴雨预警，请加强巡查", chromedp.ByID),
		chromedp.Click(`#tool-submit`, chromedp.ByID),
		chromedp.WaitVisible(`#tool-replies li[data-site="jinhu"]`, chromedp.ByQuery),
	); err != nil {
		var dump string
		_ = chromedp.Run(ctx, chromedp.Evaluate(`document.getElementById("tool-dialog").open + " " + document.getElementById("tool-fields").textContent + " | " +
			document.getElementById("tool-result").textContent + " | " + document.getElementById("error").textContent`, &dump))
		t.Fatalf("broadcast: %v\n%s", err, dump)
	}
	var replies []string
	eval(`[...document.querySelectorAll("#tool-replies li")].map((l) => l.dataset.site + ":" + l.dataset.reply)`, &replies)
	if want := []string{"jinhu:no_reply", "lianhua:accepted"}; !slices.Equal(replies, want) {
		t.Errorf("replies %v; want %v", replies, want)
	}
	select {
	case r := <-lianhua.seen:
		if r.Action != countywire.ActBroadcast || r.Text != "暴雨预警，请加强巡查" || r.Grid != "lh" || r.By != "cmd1" {
			t.Errorf("lianhua got %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("lianhua got no broadcast")
	}
	testsvc.Screenshot(t, ctx, "county-hall-broadcast.png")

	// The police: no broadcast, no emergency.
	var hidden []bool
	leftOver := -1
	wait3, cancel3 := context.WithTimeout(ctx, 30*time.Second)
	defer cancel3()
	if err := chromedp.Run(wait3,
		chromedp.Click(`#tool-close`, chromedp.ByID),
		chromedp.Click(`#logout`, chromedp.ByID),
		chromedp.WaitVisible(`#login`, chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll("#site-rows tr, #kpi-rows tr").length`, &leftOver),
		chromedp.Evaluate(`document.getElementById("login-user").value = ""`, nil),
		chromedp.SendKeys(`#login-user`, "pol1", chromedp.ByID),
		chromedp.SendKeys(`#login-password`, "pol-pw", chromedp.ByID),
		chromedp.Click(`#login-submit`, chromedp.ByID),
		chromedp.WaitVisible(`#whoami`, chromedp.ByID),
		chromedp.WaitVisible(`#alarm-rows tr[data-alarm-id="jinhu/B1"]`, chromedp.ByQuery),
		chromedp.Evaluate(`["open-broadcast", "open-emergency", "tools"].map((id) => document.getElementById(id).hidden)`, &hidden),
	); err != nil {
		t.Fatalf("police: %v", err)
	}
	if leftOver != 0 {
		t.Errorf("after logging out %d site and KPI rows still show; want none", leftOver)
	}
	if !slices.Equal(hidden, []bool{true, true, true}) {
		t.Errorf("for the police the broadcast, emergency buttons and tools hidden = %v; want all hidden", hidden)
	}
}

// hallLogin opens the county console at url on a wall-sized screen, logs
// in through the form as cmd1 (the command centre) and runs then, all
// within 45 s.
func hallLogin(t *testing.T, ctx context.Context, url string, then ...chromedp.Action) error {
	t.Helper()
	// The browser starts with the test's context, not the shorter wait's.
	if err := chromedp.Run(ctx, emulation.SetDeviceMetricsOverride(1920, 1080, 1, false), chromedp.Navigate(url+"/")); err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	return chromedp.Run(wait, append([]chromedp.Action{
		chromedp.WaitVisible(`#login`, chromedp.ByID),
		chromedp.SendKeys(`#login-user`, "cmd1", chromedp.ByID),
		chromedp.SendKeys(`#login-password`, "cmd-pw", chromedp.ByID),
		chromedp.Click(`#login-submit`, chromedp.ByID),
	}, then...)...)
}
