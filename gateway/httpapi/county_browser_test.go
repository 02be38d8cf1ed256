package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gridwatch/gridwatch/gateway/county"
)

// TestCountyConsoleInChromium: the console served in county mode lists
// every site's open alarms by their county ids, each row naming its site,
// device and the cell path the site sent.
func TestCountyConsoleInChromium(t *testing.T) {
	a := countyAlarm("lianhua", "A1")
	a.Severity, a.Title, a.DeviceName, a.GridNames = "red", "一键报警", "莲花路7号", []string{"一网格", "莲花社区"}
	b := countyAlarm("jinhu", "A1")
	b.Severity, b.Title, b.Device = "orange", "门禁", "rd-1"
	c := &fakeCounty{alarms: []county.Alarm{a, b}}
	srv := httptest.NewServer(newServer(t, testConfig(nil, func(cfg *Config) { cfg.County, cfg.Auth = c, false })).Handler())
	t.Cleanup(srv.Close)
	ctx := chromium(t)
	var lianhua, jinhu string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(`#alarm-rows tr[data-alarm-id="lianhua/A1"]`, chromedp.ByQuery),
		// Read at once, in the page: a render may replace the rows between two reads.
		chromedp.Evaluate(`document.querySelector('#alarm-rows tr[data-alarm-id="lianhua/A1"] .place').textContent`, &lianhua),
		chromedp.Evaluate(`document.querySelector('#alarm-rows tr[data-alarm-id="jinhu/A1"] .place').textContent`, &jinhu),
	); err != nil {
		t.Fatal(err)
	}
	if want := "lianhua · 莲花路7号 · 莲花社区 › 一网格"; strings.TrimSpace(lianhua) != want {
		t.Errorf("lianhua's row place %q; want %q", lianhua, want)
	}
	if !strings.HasPrefix(strings.TrimSpace(jinhu), "jinhu · rd-1") {
		t.Errorf("jinhu's row place %q; want its site and device first", jinhu)
	}
}
