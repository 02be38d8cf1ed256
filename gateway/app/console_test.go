package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestConsoleInARealBrowser opens the security-room console in headless
// Chromium: an open alarm is listed, a new press appears live over the
// event stream, and the Ack button acknowledges it through the API.
func TestConsoleInARealBrowser(t *testing.T) {
	s := startSite(t, siteOptions{})
	phones := s.phones("wang", "chen")
	s.press(s.client("lb-0001", true, nil), "lb-0001", 1)
	testsvc.Eventually(t, wait, "first alarm paged", func() bool { return len(phones["wang"].all()) == 1 })
	first := phones["wang"].all()[0].AlarmID

	ctx := testsvc.Browser(t, 90*time.Second, chromedp.WindowSize(1400, 900))
	// The Ack button asks for a note with window.prompt: answer it.
	chromedp.ListenTarget(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			go chromedp.Run(ctx, page.HandleJavaScriptDialog(true).WithPromptText("已到场确认"))
		}
	})

	row := func(id string) string { return fmt.Sprintf(`tr[data-alarm-id=%q]`, id) }
	if err := chromedp.Run(ctx,
		chromedp.Navigate(s.base+"/"),
		chromedp.WaitVisible(row(first), chromedp.ByQuery),
		chromedp.WaitVisible(`#conn[data-state="live"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("console did not list the open alarm %s: %v", first, err)
	}

	// A press after the page loaded arrives over the stream.
	s.press(s.client("lb-0003", true, nil), "lb-0003", 1)
	testsvc.Eventually(t, wait, "second alarm paged", func() bool { return len(phones["chen"].all()) == 1 })
	second := phones["chen"].all()[0].AlarmID
	var severity string
	var ok bool
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(row(second), chromedp.ByQuery),
		chromedp.AttributeValue(row(second), "data-severity", &severity, &ok, chromedp.ByQuery),
		// The queue is redrawn as alarms change, which can replace the
		// button between finding and clicking it: click in the page.
		chromedp.Poll(fmt.Sprintf(`(() => { const b = document.querySelector(%q);
			if (!b || b.disabled) return false; b.click(); return true; })()`, row(second)+` button[data-action="ack"]`), nil,
			chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.WaitVisible(row(second)+`[data-state="acknowledged"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("live alarm %s not shown or not acknowledged from the console: %v", second, err)
	}
	if severity != "red" {
		t.Errorf("row severity %q, want red", severity)
	}

	// A press in an installer's test mode is listed, tagged as a test.
	if code, body := s.post("/api/v1/silences", `{"id":"install","reason":"安装调试","devices":["lb-0002"],"test":true,"by":"room1"}`); code != 201 {
		t.Fatalf("test mode: %d %s", code, body)
	}
	s.press(s.client("lb-0002", true, nil), "lb-0002", 1)
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(`tr[data-muted="test"] .tag`, chromedp.ByQuery),
	); err != nil {
		t.Fatalf("the test press is not shown as a test: %v", err)
	}

	// The acknowledgement went through the API, with the note typed in.
	var a struct {
		State    string
		Timeline []struct{ Kind, By, Note, Channel string }
	}
	s.getJSON("/api/v1/alarms/"+second, &a)
	// Find the ack entry: a page's delivery may be recorded after it.
	var ack struct{ Kind, By, Note, Channel string }
	for _, e := range a.Timeline {
		if e.Kind == "ack" {
			ack = e
		}
	}
	if a.State != "acknowledged" || ack.Note != "已到场确认" || ack.Channel != "http" {
		t.Errorf("after the console's ack: state %s, ack entry %+v (timeline %+v)", a.State, ack, a.Timeline)
	}
}
