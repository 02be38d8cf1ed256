package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestEmergencyBannerLiveInChromium: a grid member's console and his
// phone app, open and live, show emergency mode switched on for his cell
// by the security room from another session — without a reload, with the
// cell and who switched it — and not a switch of another cell; switched
// off, the banner goes from both.
func TestEmergencyBannerLiveInChromium(t *testing.T) {
	base, _ := startWallGateway(t)
	ctx := testsvc.Browser(t, 120*time.Second, chromedp.WindowSize(1920, 1080))
	testsvc.FailOnScriptErrors(t, ctx, "the grid member's console")
	loginWall(t, ctx, base, "wang",
		chromedp.WaitVisible(`#health-cells tr[data-grid="lh-g4-07"]`, chromedp.ByQuery),
		chromedp.WaitNotVisible(`#emergency-banner`, chromedp.ByID),
		chromedp.Evaluate(`window.notReloaded = true`, nil))

	phone := testsvc.Browser(t, 120*time.Second, chromedp.WindowSize(390, 844))
	testsvc.FailOnScriptErrors(t, phone, "the grid member's phone app")
	loginPhone(t, phone, base, "wang",
		chromedp.WaitNotVisible(`#emergency`, chromedp.ByID),
		chromedp.Evaluate(`window.notReloaded = true`, nil))

	room := newBrowser(t, base)
	room.login("room1", staffPassword)
	switchEmergency := func(grid string, on bool) {
		t.Helper()
		body := `{"grid":"` + grid + `","on":false}`
		if on {
			body = strings.Replace(body, "false", "true", 1)
		}
		if code, out := room.do("POST", "/api/v1/emergency", body, true); code != 200 {
			t.Fatalf("room1 switches %s on=%v: %d %s", grid, on, code, out)
		}
	}
	switchEmergency("lh-g4-08", true) // not wang's cell: not his banner's
	switchEmergency("lh-g4-07", true)

	var text string
	var n int
	var still bool
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(`#emergency-list li[data-grid="lh-g4-07"]`, chromedp.ByQuery),
		chromedp.Text(`#emergency-banner`, &text, chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll("#emergency-list li").length`, &n),
		chromedp.Evaluate(`window.notReloaded === true`, &still),
	); err != nil {
		t.Fatalf("the banner after room1 switched lh-g4-07 on: %v", err)
	}
	testsvc.Screenshot(t, ctx, "emergency-banner-grid-member.png")
	if !still {
		t.Error("the console reloaded to show the switch")
	}
	if n != 1 || !strings.Contains(text, "莲花四级网格7") || !strings.Contains(text, "莲花监控室") {
		t.Errorf("banner %q with %d scopes: want lh-g4-07's only, by 莲花监控室", text, n)
	}

	var phoneText string
	var phoneN int
	if err := chromedp.Run(phone,
		chromedp.WaitVisible(`#emergency-list li[data-grid="lh-g4-07"]`, chromedp.ByQuery),
		chromedp.Text(`#emergency`, &phoneText, chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll("#emergency-list li").length`, &phoneN),
		chromedp.Evaluate(`window.notReloaded === true`, &still),
	); err != nil {
		t.Fatalf("the phone's banner after room1 switched lh-g4-07 on: %v", err)
	}
	testsvc.Screenshot(t, phone, "emergency-banner-phone.png")
	if !still || phoneN != 1 || !strings.Contains(phoneText, "莲花四级网格7") || !strings.Contains(phoneText, "莲花监控室") {
		t.Errorf("phone banner %q with %d scopes (not reloaded: %v): want lh-g4-07's only, by 莲花监控室", phoneText, phoneN, still)
	}

	switchEmergency("lh-g4-07", false)
	if err := chromedp.Run(ctx,
		chromedp.WaitNotVisible(`#emergency-banner`, chromedp.ByID),
		chromedp.Evaluate(`window.notReloaded === true`, &still),
	); err != nil || !still {
		t.Fatalf("the banner after room1 switched lh-g4-07 off: %v (not reloaded: %v)", err, still)
	}
	if err := chromedp.Run(phone, chromedp.WaitNotVisible(`#emergency`, chromedp.ByID)); err != nil {
		t.Fatalf("the phone's banner after room1 switched lh-g4-07 off: %v", err)
	}
}
