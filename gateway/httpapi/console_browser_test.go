package httpapi

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestWallScreenRulesInChromium checks the wall screen's own rules in a
// real browser, from its module files as served: the queue's order (red
// before orange before yellow before blue; within a colour, alarms that
// page someone first, open before acknowledged before on scene, the
// longest waiting first), signal bars and the low battery mark, and that
// every string has both languages.
func TestWallScreenRulesInChromium(t *testing.T) {
	srv := httptest.NewServer(newServer(t, testConfig(newFakeDesk(), nil)).Handler())
	t.Cleanup(srv.Close) // after the browser is gone (cleanups run last first)
	ctx := chromium(t)

	var got struct {
		Order   []string
		Bars    []int
		Low     []bool
		Missing []string
	}
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitReady(`#login`, chromedp.ByID),
		chromedp.Evaluate(`(async () => {
			const dom = await import("/console/dom.js");
			const health = await import("/console/health.js");
			const i18n = await import("/console/i18n.js");
			const a = (id, severity, state, raised, extra) => Object.assign({id, severity, state, raised_ms: raised}, extra || {});
			const list = [
				a("blue-open", "blue", "open", 1), a("red-acked", "red", "acknowledged", 1),
				a("orange-open", "orange", "open", 1), a("red-open-new", "red", "open", 9),
				a("red-test", "red", "open", 0, {test: true}), a("red-open-old", "red", "open", 5),
				a("yellow-scene", "yellow", "on_scene", 1), a("red-scene", "red", "on_scene", 0),
				a("orange-muted", "orange", "open", 0, {muted: "silence night"}),
			];
			const out = {Order: list.sort(dom.urgency).map((x) => x.id)};
			out.Bars = [-50, -60, -61, -70, -75, -80, -85, -90, -95, undefined, "x"].map(health.signalBars);
			out.Low = [11.6, 11.5, 11.4, undefined].map((v) => health.lowBattery({battery_v: v}));
			out.Missing = [];
			for (const lang of ["zh", "en"]) {
				i18n.setLang(lang);
				for (const e of document.querySelectorAll("[data-i18n]")) if (!i18n.has(e.dataset.i18n)) out.Missing.push(e.dataset.i18n);
			}
			return out;
		})()`, &got, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
	)
	if err != nil {
		t.Fatal(err)
	}
	want := "red-open-old,red-open-new,red-acked,red-scene,red-test,orange-open,orange-muted,yellow-scene,blue-open"
	if strings.Join(got.Order, ",") != want {
		t.Errorf("queue order\n got %v\nwant %s", got.Order, want)
	}
	if wantBars := []int{4, 4, 3, 3, 2, 2, 1, 1, 0, 0, 0}; !slices.Equal(got.Bars, wantBars) {
		t.Errorf("signal bars %v, want %v", got.Bars, wantBars)
	}
	if len(got.Low) != 4 || got.Low[0] || got.Low[1] || !got.Low[2] || got.Low[3] {
		t.Errorf("low battery at 11.6, 11.5, 11.4, none: %v; want only 11.4", got.Low)
	}
	if len(got.Missing) > 0 {
		t.Errorf("strings of the page missing from the table: %v", got.Missing)
	}
}

// TestWallScreenSoundInChromium: with an unacknowledged red open, the
// first click on the sound button (the gesture that lets the page make
// sound) starts the sound rather than muting it; the next click mutes.
func TestWallScreenSoundInChromium(t *testing.T) {
	srv := httptest.NewServer(newServer(t, testConfig(newFakeDesk(redAlarm()), func(c *Config) { c.Auth = false })).Handler())
	t.Cleanup(srv.Close) // after the browser, whose event stream it would wait for
	ctx := chromium(t)
	var first, second string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(`#alarm-rows tr[data-alarm-id="A0001"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#sound[data-state="blocked"]`, chromedp.ByQuery),
		chromedp.Click(`#sound`, chromedp.ByID),
		chromedp.AttributeValue(`#sound`, "data-state", &first, nil, chromedp.ByID),
		chromedp.Sleep(1100*time.Millisecond), // a second click, not the same gesture
		chromedp.Click(`#sound`, chromedp.ByID),
		chromedp.AttributeValue(`#sound`, "data-state", &second, nil, chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	if first != "ringing" || second != "muted" {
		t.Errorf("sound after the first click %q, after the second %q; want ringing, then muted", first, second)
	}
}

// chromium starts a headless Chromium for one test (skipped, saying how
// to install it, when there is none).
func chromium(t *testing.T) context.Context {
	t.Helper()
	return testsvc.Browser(t, 60*time.Second)
}
