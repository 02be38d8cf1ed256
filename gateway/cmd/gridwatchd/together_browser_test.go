package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestWallScreenAndPhoneTogether: the security room at its wall screen
// (1920×1080) and grid member wang on his phone (390×844), both logged
// in to one gateway in two headless Chromiums. A press of the light box
// in wang's cell appears on both; its marker blinks on the plan; wang
// acknowledges on the phone; the wall screen shows the alarm acknowledged
// by him, and his paging stops. Screenshots of both are saved as
// artifacts.
func TestWallScreenAndPhoneTogether(t *testing.T) {
	base, broker, _ := startPhoneGateway(t)
	admin := newBrowser(t, base)
	admin.login("admin", "admin-pw")

	wall := testsvc.Browser(t, 180*time.Second, chromedp.WindowSize(1920, 1080))
	loginWall(t, wall, base, "room1", chromedp.WaitVisible(`#plan .marker[data-device-id="lb-0007"]`, chromedp.ByQuery))
	phone := testsvc.Browser(t, 180*time.Second, chromedp.WindowSize(390, 844), chromedp.Flag("lang", "zh-CN"))
	loginPhone(t, phone, base, "wang")

	// Each page notes when the alarm first shows, by its own clock.
	const watch = `window.__seen = 0; new MutationObserver(() => {
		if (!window.__seen && document.querySelector(%q)) window.__seen = Date.now();
	}).observe(document.body, {subtree: true, childList: true, attributes: true});`
	if err := chromedp.Run(wall, chromedp.Evaluate(fmt.Sprintf(watch, `#focus[data-state="open"]`), nil)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(phone, chromedp.Evaluate(fmt.Sprintf(watch, `#alarms article[data-state="open"]`), nil)); err != nil {
		t.Fatal(err)
	}
	pressed := time.Now()
	pressBox(t, broker, "lb-0007")
	var id string
	if err := chromedp.Run(phone,
		chromedp.WaitVisible(`#alarms article[data-severity="red"][data-state="open"]`, chromedp.ByQuery),
		chromedp.AttributeValue(`#alarms article`, "data-alarm-id", &id, nil, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("the press did not appear on the phone: %v", err)
	}
	if err := chromedp.Run(wall,
		chromedp.WaitVisible(`#focus[data-state="open"][data-severity="red"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#alarm-rows tr[data-alarm-id="`+id+`"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#plan .marker[data-device-id="lb-0007"][data-blink="true"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("the press did not appear on the wall screen: %v", err)
	}
	// Reported, not asserted against a second: the waits above are bounded
	// and a busy machine is no failure of either screen.
	var onWall, onPhone int64
	if err := chromedp.Run(wall, chromedp.Evaluate(`window.__seen`, &onWall)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(phone, chromedp.Evaluate(`window.__seen`, &onPhone)); err != nil {
		t.Fatal(err)
	}
	t.Logf("press (PUBACK) → wall screen's focus panel %d ms, → phone's card %d ms", onWall-pressed.UnixMilli(), onPhone-pressed.UnixMilli())
	testsvc.Screenshot(t, wall, "together-wall-open.png")
	testsvc.Screenshot(t, phone, "together-phone-open.png")

	if err := chromedp.Run(phone,
		chromedp.Click(`#alarms article[data-alarm-id="`+id+`"] h3`, chromedp.ByQuery),
		chromedp.WaitVisible(`#detail[data-state="open"]`, chromedp.ByQuery),
		chromedp.Click(`#actions button[data-action="ack"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#detail[data-state="acknowledged"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("acknowledging on the phone: %v", err)
	}
	if err := chromedp.Run(wall,
		chromedp.WaitVisible(`#alarm-rows tr[data-alarm-id="`+id+`"][data-state="acknowledged"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("the wall screen does not show wang's ack: %v", err)
	}
	var a alarm.Alarm
	admin.getJSON("/api/v1/alarms/"+id, &a)
	if a.State != alarm.Acknowledged || lastActor(a) != "wang" {
		t.Fatalf("after wang's ack on the phone: state %s by %q; want acknowledged by wang", a.State, lastActor(a))
	}
	testsvc.Screenshot(t, wall, "together-wall-acknowledged.png")

	// His paging stops: nothing more goes to him over one and a half
	// repeat intervals (before the ack one came every phoneRepeat).
	paged := len(wangPages(a, alarm.Page{}))
	time.Sleep(phoneRepeat * 3 / 2)
	admin.getJSON("/api/v1/alarms/"+id, &a)
	if n := len(wangPages(a, alarm.Page{})); n != paged {
		t.Errorf("wang was paged %d more times after his ack", n-paged)
	}
}
