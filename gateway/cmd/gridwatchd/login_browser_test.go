package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestConsoleLoginInChromium logs in through the console's form in
// headless Chromium against a real gateway with auth on: the form is shown
// first, wang's login shows who he is and his cell's alarm (not ma's),
// the Ack button acknowledges it through the session (with its CSRF
// token), and Log out brings the form back.
func TestConsoleLoginInChromium(t *testing.T) {
	lg := startLoginGateway(t)

	ctx := testsvc.Browser(t, 90*time.Second, chromedp.WindowSize(1400, 900))
	chromedp.ListenTarget(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			go chromedp.Run(ctx, page.HandleJavaScriptDialog(true).WithPromptText("马上到"))
		}
	})

	row := func(id string) string { return fmt.Sprintf(`tr[data-alarm-id=%q]`, id) }
	var who string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(lg.base+"/"),
		chromedp.WaitVisible(`#login`, chromedp.ByID),
		chromedp.WaitVisible(`#conn[data-state="need-login"]`, chromedp.ByQuery),
		chromedp.SendKeys(`#login-user`, "wang", chromedp.ByID),
		chromedp.SendKeys(`#login-password`, staffPassword, chromedp.ByID),
		chromedp.Click(`#login-submit`, chromedp.ByID),
		chromedp.WaitVisible(`#whoami`, chromedp.ByID),
		chromedp.WaitVisible(row(lg.mine), chromedp.ByQuery),
		chromedp.WaitVisible(`#conn[data-state="live"]`, chromedp.ByQuery),
		chromedp.Text(`#whoami`, &who, chromedp.ByID),
	); err != nil {
		t.Fatalf("logging in through the console form: %v", err)
	}
	if !strings.Contains(who, "王芳") || !strings.Contains(who, "grid_member") || !strings.Contains(who, "莲花四级网格7") {
		t.Errorf("the console shows %q; want wang's name, role and cell", who)
	}
	var others int
	if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll(%q).length`, row(lg.theirs)), &others)); err != nil {
		t.Fatal(err)
	}
	if others != 0 {
		t.Errorf("wang's console lists ma's alarm %s", lg.theirs)
	}
	if err := chromedp.Run(ctx,
		chromedp.Click(row(lg.mine)+` button[data-action="ack"]`, chromedp.ByQuery),
		chromedp.WaitVisible(row(lg.mine)+`[data-state="acknowledged"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("ack from the logged-in console: %v", err)
	}
	admin := newBrowser(t, lg.base)
	admin.login("admin", "admin-pw")
	var a struct {
		State    string
		Timeline []struct{ Kind, By, Note string }
	}
	admin.getJSON("/api/v1/alarms/"+lg.mine, &a)
	if a.State != "acknowledged" || a.Timeline[len(a.Timeline)-1].By != "wang" || a.Timeline[len(a.Timeline)-1].Note != "马上到" {
		t.Errorf("after the console's ack: %+v; want acknowledged by wang with the note", a)
	}

	if err := chromedp.Run(ctx,
		chromedp.Click(`#logout`, chromedp.ByID),
		chromedp.WaitVisible(`#login`, chromedp.ByID),
		chromedp.WaitNotPresent(row(lg.mine), chromedp.ByQuery),
	); err != nil {
		t.Fatalf("log out from the console: %v", err)
	}
}
