package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// phoneSite is one block grid of lianhua with its grid member wang (who
// logs in on the phone), its grid leader and a light box with an address
// and coordinates.
const phoneSite = `
grids:
  - {id: lianhua,  name: 莲花社区,     level: 3}
  - {id: lh-g4-07, name: 莲花四级网格7, level: 4, parent: lianhua}
staff:
  - {id: wang,  name: 王芳, role: grid_member, grids: [lh-g4-07], password_hash: "%[1]s"}
  - {id: zhao,  name: 赵强, role: grid_leader, grids: [lh-g4-07]}
  - {id: room1, name: 莲花监控室, role: security_room, grids: [lianhua], password_hash: "%[1]s"}
devices:
  - {id: lb-0007, kind: lightbox, grid: lh-g4-07, name: 莲花路7号, location: {lat: 33.3, lon: 111.49},
     attrs: {address: 莲花路7号 小区东门}}
`

// phoneRepeat is how often step 0 pages wang again while nobody
// acknowledges: short, so that the test sees his paging go on before the
// ack and stop after it.
const phoneRepeat = 10 * time.Second // the least the gateway takes

// TestPhoneAppInChromium is the phone app end to end in headless Chromium
// at 390×844 against a real gateway with auth on: wang logs in; a press
// of the light box in his cell (published over MQTT as the box) appears
// in his list, ringing and vibrating; the app confirms his page, which the alarm's pages show
// delivered through the app; repeats of the page keep coming (and are
// confirmed) until he acknowledges on the phone; then the alarm is
// acknowledged by him (API) and his paging stops; he reports arrival and
// resolves with a note (not without one). An anti-fraud broadcast
// shows as a notice, not an alarm. With the gateway stopped, the app
// reloads from its service worker and shows the last known state. The
// layout is checked (no horizontal overflow, every action button inside
// the viewport) and screenshots of the list, the alarm and the offline
// app are saved as artifacts (go test -artifacts, or GRIDWATCH_ARTIFACTS).
func TestPhoneAppInChromium(t *testing.T) {
	base, broker, gw := startPhoneGateway(t)
	admin := newBrowser(t, base)
	admin.login("admin", "admin-pw")
	// An anti-fraud broadcast to the community: a notice on the phone, not
	// an alarm.
	const notice = "警惕冒充公检法电话诈骗"
	code, body := admin.do("POST", "/api/v1/broadcasts", `{"grid":"lianhua","text":"`+notice+`"}`, true)
	var bc struct{ ID string }
	if code != 201 || json.Unmarshal([]byte(body), &bc) != nil {
		t.Fatalf("broadcast: %d %s", code, body)
	}

	ctx := testsvc.Browser(t, 180*time.Second, chromedp.WindowSize(390, 844), chromedp.Flag("lang", "zh-CN"))

	// Count the app's rings: vibrations and tones (headless Chromium has
	// neither a motor nor a speaker).
	const countRings = `window.__rings = {vibrate: 0, tones: 0};
		navigator.vibrate = () => { window.__rings.vibrate++; return true; };
		const osc = AudioContext.prototype.createOscillator;
		AudioContext.prototype.createOscillator = function () { window.__rings.tones++; return osc.call(this); };`
	var who string
	if err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(countRings).Do(ctx)
		return err
	})); err != nil {
		t.Fatal(err)
	}
	loginPhone(t, ctx, base, "wang", chromedp.WaitVisible(`#home`, chromedp.ByID), chromedp.Text(`#whoami`, &who, chromedp.ByID))
	if want := "王芳 · 网格员 · 莲花四级网格7"; who != want {
		t.Errorf("the app shows %q; want %q", who, want)
	}
	var notices string
	var alarmsBefore int
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(`#notices li.notice`, chromedp.ByQuery),
		chromedp.Text(`#notices`, &notices, chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll('#alarms [data-alarm-id]').length`, &alarmsBefore),
	); err != nil {
		t.Fatalf("the broadcast on the phone: %v", err)
	}
	if !strings.Contains(notices, notice) || alarmsBefore != 0 {
		t.Errorf("notices %q and %d alarms; want the broadcast as a notice and no alarm", notices, alarmsBefore)
	}
	// The app confirmed wang's page of the broadcast too.
	testsvc.Eventually(t, 20*time.Second, "wang's page of the broadcast delivered through the app", func() bool {
		var b struct {
			Targets []struct{ Kind, ID, Status, Channel string }
		}
		admin.getJSON("/api/v1/broadcasts/"+bc.ID, &b)
		return slices.ContainsFunc(b.Targets, func(tg struct{ Kind, ID, Status, Channel string }) bool {
			return tg.ID == "wang" && tg.Status == "delivered" && tg.Channel == "app"
		})
	})

	var ringsBefore struct{ Vibrate, Tones int }
	if err := chromedp.Run(ctx, chromedp.Evaluate(`window.__rings`, &ringsBefore)); err != nil {
		t.Fatal(err)
	}
	// Watch for the alarm's card from inside the page, so that the time it
	// appeared is the browser's, not that of the test's polling.
	if err := chromedp.Run(ctx, chromedp.Evaluate(`window.__seen = 0;
		new MutationObserver(() => { if (!window.__seen && document.querySelector('#alarms [data-alarm-id]')) window.__seen = Date.now(); })
			.observe(document.querySelector('#alarms'), {childList: true, subtree: true});`, nil)); err != nil {
		t.Fatal(err)
	}
	pressed := time.Now()
	pressBox(t, broker, "lb-0007")
	var id string
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(`#alarms article[data-severity="red"][data-state="open"]`, chromedp.ByQuery),
		chromedp.AttributeValue(`#alarms article`, "data-alarm-id", &id, nil, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("the press did not appear on the phone: %v", err)
	}
	var seen float64
	var rings struct{ Vibrate, Tones int }
	if err := chromedp.Run(ctx, chromedp.Evaluate(`window.__seen`, &seen)); err != nil {
		t.Fatal(err)
	}
	testsvc.Eventually(t, 10*time.Second, "the new page rings and vibrates", func() bool {
		if err := chromedp.Run(ctx, chromedp.Evaluate(`window.__rings`, &rings)); err != nil {
			t.Fatal(err)
		}
		return rings.Vibrate > 0 && rings.Tones > 0
	})
	if ringsBefore.Vibrate != 0 || ringsBefore.Tones != 0 {
		t.Errorf("the broadcast rang (%+v): a notice is not an alarm", ringsBefore)
	}
	// Reported, not asserted: a busy machine may take longer; the bound
	// above is generous.
	t.Logf("press (PUBACK sent at %s) → card on the phone: %v", pressed.Format("15:04:05.000"),
		time.UnixMilli(int64(seen)).Sub(pressed).Round(time.Millisecond))

	// The app confirmed wang's page: delivered through the app.
	var a alarm.Alarm
	testsvc.Eventually(t, 20*time.Second, "wang's page delivered through the app", func() bool {
		admin.getJSON("/api/v1/alarms/"+id, &a)
		return len(wangPages(a, alarm.Page{State: "delivered", Channel: "app"})) > 0
	})
	// Nobody acknowledged yet: wang is paged again, and the app confirms
	// the repeat too.
	testsvc.Eventually(t, 3*phoneRepeat+20*time.Second, "a repeat of wang's page, confirmed by the app", func() bool {
		admin.getJSON("/api/v1/alarms/"+id, &a)
		return len(wangPages(a, alarm.Page{State: "delivered", Channel: "app"})) >= 2
	})

	checkPhoneLayout(t, ctx, `#alarms article[data-alarm-id="`+id+`"] button[data-action]`)
	testsvc.Screenshot(t, ctx, "phone-alarms.png")

	var place string
	if err := chromedp.Run(ctx,
		chromedp.Click(`#alarms article[data-alarm-id="`+id+`"] h3`, chromedp.ByQuery),
		chromedp.WaitVisible(`#detail[data-state="open"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#d-nav a[data-map="amap"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#d-pages li[data-page-state="delivered"]`, chromedp.ByQuery),
		chromedp.Text(`#d-place`, &place, chromedp.ByID),
	); err != nil {
		t.Fatalf("the alarm's detail: %v", err)
	}
	for _, want := range []string{"莲花路7号", "莲花路7号 小区东门", "莲花社区 › 莲花四级网格7"} {
		if !strings.Contains(place, want) {
			t.Errorf("the detail's place %q lacks %q", place, want)
		}
	}
	var links map[string]string
	if err := chromedp.Run(ctx, chromedp.Evaluate(
		`Object.fromEntries([...document.querySelectorAll('#d-nav a')].map(a => [a.dataset.map, a.getAttribute('href')]))`, &links)); err != nil {
		t.Fatal(err)
	}
	name := "%E8%8E%B2%E8%8A%B1%E8%B7%AF7%E5%8F%B7" // 莲花路7号
	for app, want := range map[string]string{
		"geo":   "geo:33.3,111.49?q=33.3,111.49(" + name + ")",
		"amap":  "amapuri://route/plan/?dlat=33.3&dlon=111.49&dname=" + name + "&dev=1&t=2",
		"baidu": "baidumap://map/direction?destination=latlng:33.3,111.49|name:" + name + "&coord_type=wgs84&mode=walking&src=gridwatch",
		"tencent": "qqmap://map/marker?marker=coord:33.3,111.49;title:" + name + ";addr:" +
			"%E8%8E%B2%E8%8A%B1%E8%B7%AF7%E5%8F%B7%20%E5%B0%8F%E5%8C%BA%E4%B8%9C%E9%97%A8" + "&coord_type=1&referer=gridwatch", // 莲花路7号 小区东门
	} {
		if links[app] != want {
			t.Errorf("%s link %q, want %q", app, links[app], want)
		}
	}
	checkPhoneLayout(t, ctx, `#actions button`)
	testsvc.Screenshot(t, ctx, "phone-alarm.png")

	if err := chromedp.Run(ctx,
		chromedp.Click(`#actions button[data-action="ack"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#detail[data-state="acknowledged"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("acknowledging on the phone: %v", err)
	}
	admin.getJSON("/api/v1/alarms/"+id, &a)
	if a.State != alarm.Acknowledged || lastActor(a) != "wang" {
		t.Fatalf("after wang's ack on the phone: state %s by %q; want acknowledged by wang", a.State, lastActor(a))
	}
	var countdown string
	if err := chromedp.Run(ctx, chromedp.Text(`#d-countdown`, &countdown, chromedp.ByID)); err != nil {
		t.Fatal(err)
	}
	if countdown != "不再升级" {
		t.Errorf("the countdown after the ack reads %q, want 不再升级 (no further escalation)", countdown)
	}
	ackAt := a.Timeline[len(a.Timeline)-1].At
	paged := len(wangPages(a, alarm.Page{}))
	// His paging stops: nothing more goes to him over one and a half
	// repeat intervals (before the ack one came every phoneRepeat).
	time.Sleep(phoneRepeat * 3 / 2)
	admin.getJSON("/api/v1/alarms/"+id, &a)
	if n := len(wangPages(a, alarm.Page{})); n != paged {
		t.Errorf("wang was paged %d more times after his ack", n-paged)
	}
	for _, e := range a.Timeline {
		if e.At > ackAt && (e.Kind == alarm.EntryNotified || e.Kind == alarm.EntryRepaged) {
			t.Errorf("paged after the ack: %+v", e)
		}
	}

	// On the scene, then resolved with a note: a resolve without one is
	// not sent.
	const note = "误触，已复位"
	var toast string
	if err := chromedp.Run(ctx,
		chromedp.Click(`#actions button[data-action="arrive"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#detail[data-state="on_scene"]`, chromedp.ByQuery),
		chromedp.Click(`#actions button[data-action="resolve"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("on the scene: %v", err)
	}
	// The arrival's own toast ("已提交") may still show: wait for the
	// toast to say something else, within a bounded time.
	// The toast is read as soon as it says something else, before its
	// own timer hides it.
	_ = chromedp.Run(ctx, chromedp.Poll(`(() => { const t = document.getElementById("toast");
		return t && !t.hidden && t.textContent !== "已提交" ? t.textContent : false; })()`, &toast,
		chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(20*time.Millisecond)))
	admin.getJSON("/api/v1/alarms/"+id, &a)
	if a.State != alarm.OnScene || toast != "请先写处置说明" {
		t.Fatalf("a resolve without a note: state %s, the app said %q; want on_scene and 请先写处置说明", a.State, toast)
	}
	if err := chromedp.Run(ctx,
		chromedp.SendKeys(`#d-note`, note, chromedp.ByID),
		chromedp.Click(`#actions button[data-action="resolve"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#detail[data-state="resolved"]`, chromedp.ByQuery),
		chromedp.Click(`#back`, chromedp.ByID),
		chromedp.WaitNotPresent(`#alarms article[data-alarm-id="`+id+`"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("resolving on the phone: %v", err)
	}
	admin.getJSON("/api/v1/alarms/"+id, &a)
	if last := a.Timeline[len(a.Timeline)-1]; a.State != alarm.Resolved || last.By != "wang" || last.Note != note {
		t.Errorf("after the resolve: %s, last entry %+v; want resolved by wang with the note", a.State, last)
	}

	// A second press: a new alarm, live again.
	pressBox(t, broker, "lb-0007")
	var second string
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(`#alarms article[data-state="open"]`, chromedp.ByQuery),
		chromedp.AttributeValue(`#alarms article[data-state="open"]`, "data-alarm-id", &second, nil, chromedp.ByQuery),
	); err != nil || second == id {
		t.Fatalf("the second press on the phone: %v (alarm %s after %s)", err, second, id)
	}

	// Offline: with the gateway gone, the installed app still opens (its
	// service worker keeps the shell) and shows the last known state.
	var controlled bool
	if err := chromedp.Run(ctx,
		chromedp.Evaluate(`navigator.serviceWorker.ready.then(() => true)`, &controlled, awaitPromise),
	); err != nil || !controlled {
		t.Fatalf("waiting for the service worker: %v", err)
	}
	gw.Stop()
	if err := chromedp.Run(ctx,
		chromedp.Reload(),
		chromedp.WaitVisible(`#conn[data-state="offline"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#banner`, chromedp.ByID),
		chromedp.WaitVisible(`#alarms article[data-alarm-id="`+second+`"][data-state="open"]`, chromedp.ByQuery),
		chromedp.Evaluate(`navigator.serviceWorker.controller !== null`, &controlled),
	); err != nil {
		t.Fatalf("the app offline: %v", err)
	}
	if !controlled {
		t.Error("the page offline is not the service worker's")
	}
	checkPhoneLayout(t, ctx, `#tools button`)
	testsvc.Screenshot(t, ctx, "phone-offline.png")

	// English on a tap, kept for the next start.
	var title, conn string
	if err := chromedp.Run(ctx,
		chromedp.Click(`#lang`, chromedp.ByID),
		chromedp.Text(`#title`, &title, chromedp.ByID),
		chromedp.Text(`#conn`, &conn, chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	if title != "Grid alarms" || conn != "Offline" {
		t.Errorf("in English: title %q, connection %q", title, conn)
	}
	// The alarm from the last known state, in English: its longer words
	// fit too.
	if err := chromedp.Run(ctx,
		chromedp.Click(`#alarms article[data-alarm-id="`+second+`"] h3`, chromedp.ByQuery),
		chromedp.WaitVisible(`#detail[data-state="open"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("the alarm offline: %v", err)
	}
	checkPhoneLayout(t, ctx, `#actions button`)
	testsvc.Screenshot(t, ctx, "phone-alarm-en-offline.png")
}

// awaitPromise makes Evaluate wait for the promise its script returns.
func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

// wangPages are wang's pages of a that match like's state and channel
// (empty: any).
func wangPages(a alarm.Alarm, like alarm.Page) []alarm.Page {
	var out []alarm.Page
	for _, p := range a.Pages {
		if p.Staff == "wang" && (like.State == "" || p.State == like.State) && (like.Channel == "" || p.Channel == like.Channel) {
			out = append(out, p)
		}
	}
	return out
}

// checkPhoneLayout asserts what a person holding the phone would see: the
// page is no wider than the screen, and every button buttons selects is
// shown whole inside the viewport (no scrolling, zooming or hunting).
func checkPhoneLayout(t *testing.T, ctx context.Context, buttons string) {
	t.Helper()
	var out struct {
		ScrollWidth, InnerWidth, InnerHeight float64
		Buttons                              []struct {
			Text                     string
			Left, Top, Right, Bottom float64
		}
	}
	js := fmt.Sprintf(`({
		scrollWidth: document.documentElement.scrollWidth,
		innerWidth: window.innerWidth, innerHeight: window.innerHeight,
		buttons: [...document.querySelectorAll(%s)].map(b => { const r = b.getBoundingClientRect();
			return {text: b.textContent.trim(), left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }),
	})`, strconv.Quote(buttons))
	if err := chromedp.Run(ctx, chromedp.Evaluate(js, &out)); err != nil {
		t.Fatal(err)
	}
	if out.InnerWidth != 390 || out.InnerHeight != 844 {
		t.Errorf("viewport %v×%v, want 390×844", out.InnerWidth, out.InnerHeight)
	}
	if out.ScrollWidth > 390 {
		t.Errorf("the page is %v px wide on a 390 px phone: it scrolls sideways", out.ScrollWidth)
	}
	if len(out.Buttons) == 0 {
		t.Errorf("no buttons %s", buttons)
	}
	for _, b := range out.Buttons {
		if b.Left < 0 || b.Top < 0 || b.Right > out.InnerWidth || b.Bottom > out.InnerHeight || b.Right-b.Left < 44 || b.Bottom-b.Top < 44 {
			t.Errorf("button %q at (%v,%v)-(%v,%v): want it whole inside the %v×%v viewport and at least 44 px each way",
				b.Text, b.Left, b.Top, b.Right, b.Bottom, out.InnerWidth, out.InnerHeight)
		}
	}
}

// startPhoneGateway runs gridwatchd with phoneSite, auth on, red step 0
// repeating every phoneRepeat and step 1 an hour away; it returns the
// HTTP base URL, the MQTT address and the gateway.
func startPhoneGateway(t *testing.T) (base, broker string, gw *testsvc.Gateway) {
	t.Helper()
	dir := t.TempDir()
	bin, err := testsvc.BuildGridwatchd(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "registry.yaml"), []byte(fmt.Sprintf(phoneSite, hashWith(t, bin, staffPassword))), 0o600); err != nil {
		t.Fatal(err)
	}
	httpAddr := "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
	broker = "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
	cfg := fmt.Sprintf(`site: lianhua
data_dir: data
registry: registry.yaml
http:
  listen: %q
  users:
    admin: {role: admin, password_hash: %q}
mqtt: {embedded: {listen: %q}}
escalation:
  red:
    steps:
      - {after: 0s, roles: [grid_member, security_room], repeat: %s}
      - {after: 1h, roles: [grid_leader, police]}
`, httpAddr, hashWith(t, bin, "admin-pw"), broker, phoneRepeat)
	cfgPath := filepath.Join(dir, "gridwatch.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	gw = testsvc.Gridwatchd(t, bin, cfgPath, httpAddr)
	gw.Start()
	return "http://" + httpAddr, broker, gw
}

// loginPhone opens the staff app at base/m/ on a phone-sized screen, logs
// in as user through its form, waits for the live stream, then runs then.
func loginPhone(t *testing.T, ctx context.Context, base, user string, then ...chromedp.Action) {
	t.Helper()
	steps := append([]chromedp.Action{
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(base + "/m/"),
		chromedp.WaitVisible(`#login-form`, chromedp.ByID),
		chromedp.SendKeys(`#login-user`, user, chromedp.ByID),
		chromedp.SendKeys(`#login-password`, staffPassword, chromedp.ByID),
		chromedp.Click(`#login-submit`, chromedp.ByID),
		chromedp.WaitVisible(`#conn[data-state="live"]`, chromedp.ByQuery),
	}, then...)
	if err := chromedp.Run(ctx, steps...); err != nil {
		t.Fatalf("%s logging in on the phone: %v", user, err)
	}
}
