package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// fakePages is a page ledger of two pages: p-li to li, p-ma to ma, and
// p-wang to wang (the security room, who logs in by token). Delivered
// behaves as the ledger's: only the recipient's confirmation counts.
type fakePages struct {
	mu        sync.Mutex
	pages     map[string]event.PageReport
	confirmed []string // "staff page channel" of every Delivered call
}

func newFakePages() *fakePages {
	p := &fakePages{pages: map[string]event.PageReport{}}
	for _, r := range []event.PageReport{
		{PageID: "p-li", AlarmID: "A0001", Staff: "li", Channel: event.PageApp, State: event.PageQueued, QueuedMS: 1000},
		{PageID: "p-ma", AlarmID: "A0002", Staff: "ma", Channel: event.PageApp, State: event.PageQueued, QueuedMS: 1000},
		{PageID: "p-wang", AlarmID: "A0001", Staff: "wang", Channel: event.PageApp, State: event.PageQueued, QueuedMS: 1000},
	} {
		p.pages[r.PageID] = r
	}
	return p
}

func (p *fakePages) Page(id string) (event.PageReport, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.pages[id]
	return r, ok
}

func (p *fakePages) Delivered(staff, id, channel string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.confirmed = append(p.confirmed, staff+" "+id+" "+channel)
	if r, ok := p.pages[id]; ok && r.Staff == staff {
		r.State, r.Channel, r.AtMS = event.PageDelivered, channel, 2000
		p.pages[id] = r
	}
}

func (p *fakePages) PagesFor(staff string) []event.PageReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []event.PageReport
	for _, r := range p.pages {
		if r.Staff == staff && r.State != event.PageDelivered {
			out = append(out, r)
		}
	}
	return out
}

func (p *fakePages) calls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.confirmed...)
}

// TestPageReceipt is the table of POST /api/v1/pages/{id}/received: only
// the page's own recipient confirms it (session with its CSRF token, or
// bearer token); everyone else is refused, counted and audited, and the
// ledger hears nothing of them.
func TestPageReceipt(t *testing.T) {
	for i, tc := range []struct {
		name    string
		setup   func(t *testing.T, ls *loginSite) req
		code    int
		reason  string // refusal reason; "" for none
		confirm string // the ledger's Delivered call; "" for none
	}{
		{"recipient's session with CSRF token", func(t *testing.T, ls *loginSite) req {
			c, who := ls.login(t, "li", liPassword)
			return req{method: "POST", path: "/api/v1/pages/p-li/received", cookie: c, csrf: who.CSRFToken}
		}, 200, "", "li p-li app"},
		{"recipient's session with a JSON body", func(t *testing.T, ls *loginSite) req {
			c, who := ls.login(t, "li", liPassword)
			return req{method: "POST", path: "/api/v1/pages/p-li/received", body: `{}`, cookie: c, csrf: who.CSRFToken}
		}, 200, "", "li p-li app"},
		{"recipient's bearer token", func(*testing.T, *loginSite) req {
			return req{method: "POST", path: "/api/v1/pages/p-wang/received", token: wangToken}
		}, 200, "", "wang p-wang app"},
		{"no session", func(*testing.T, *loginSite) req {
			return req{method: "POST", path: "/api/v1/pages/p-li/received"}
		}, 401, refusedNoCredentials, ""},
		{"expired session", func(t *testing.T, ls *loginSite) req {
			c, who := ls.login(t, "li", liPassword)
			ls.clock.add(time.Hour)
			return req{method: "POST", path: "/api/v1/pages/p-li/received", cookie: c, csrf: who.CSRFToken}
		}, 401, refusedExpired, ""},
		{"missing CSRF token", func(t *testing.T, ls *loginSite) req {
			c, _ := ls.login(t, "li", liPassword)
			return req{method: "POST", path: "/api/v1/pages/p-li/received", cookie: c}
		}, 403, refusedCSRF, ""},
		{"another session's CSRF token", func(t *testing.T, ls *loginSite) req {
			c, _ := ls.login(t, "li", liPassword)
			_, other := ls.login(t, "ma", liPassword)
			return req{method: "POST", path: "/api/v1/pages/p-li/received", cookie: c, csrf: other.CSRFToken}
		}, 403, refusedCSRF, ""},
		{"another person's page", func(t *testing.T, ls *loginSite) req {
			c, who := ls.login(t, "li", liPassword)
			return req{method: "POST", path: "/api/v1/pages/p-ma/received", cookie: c, csrf: who.CSRFToken}
		}, 403, refusedForbidden, ""},
		{"the security room confirming a grid member's page", func(*testing.T, *loginSite) req {
			return req{method: "POST", path: "/api/v1/pages/p-li/received", token: wangToken}
		}, 403, refusedForbidden, ""},
		{"unknown page", func(t *testing.T, ls *loginSite) req {
			c, who := ls.login(t, "li", liPassword)
			return req{method: "POST", path: "/api/v1/pages/p-none/received", cookie: c, csrf: who.CSRFToken}
		}, 404, "", ""},
		{"GET is not allowed", func(t *testing.T, ls *loginSite) req {
			c, _ := ls.login(t, "li", liPassword)
			return req{method: "GET", path: "/api/v1/pages/p-li/received", cookie: c}
		}, 405, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pages := newFakePages()
			ls := newLoginSite(t, func(c *Config) { c.Pages = pages })
			q := tc.setup(t, ls)
			q.addr = fmt.Sprintf("192.0.2.%d:4000", i+1)
			rec := ls.do(t, q)
			if rec.Code != tc.code {
				t.Fatalf("%s %s: %d %s, want %d", q.method, q.path, rec.Code, rec.Body, tc.code)
			}
			calls := pages.calls()
			switch {
			case tc.confirm == "" && len(calls) != 0:
				t.Errorf("the ledger was told %q; want nothing", calls)
			case tc.confirm != "" && (len(calls) != 1 || calls[0] != tc.confirm):
				t.Errorf("the ledger was told %q; want %q", calls, tc.confirm)
			}
			if tc.code == 200 && !strings.Contains(rec.Body.String(), `"state":"delivered"`) {
				t.Errorf("answer %s; want the page, delivered", rec.Body)
			}
			if tc.reason == "" {
				return
			}
			if n := testutil.ToFloat64(ls.s.metrics.refused.WithLabelValues(tc.reason)); n != 1 {
				t.Errorf("gridwatch_http_refused_total{reason=%q} = %v, want 1", tc.reason, n)
			}
			if lines := ls.logs.Lines("http api: refused", "audit=true", "reason="+tc.reason, "path="+q.path); len(lines) != 1 {
				t.Errorf("want one audit line for %s; log:\n%s", tc.reason, ls.logs)
			}
		})
	}
}

// TestPageReceiptNeedsALedger: without one the route is not there.
func TestPageReceiptNeedsALedger(t *testing.T) {
	ls := newLoginSite(t, nil)
	rec := ls.do(t, req{method: "POST", path: "/api/v1/pages/p-li/received", token: wangToken})
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "no such endpoint") {
		t.Errorf("without a ledger: %d %s, want 404 no such endpoint", rec.Code, rec.Body)
	}
}

// TestPageReceiptAuthOff: with auth off the console is nobody's phone;
// a logged-in grid member still confirms his own page.
func TestPageReceiptAuthOff(t *testing.T) {
	pages := newFakePages()
	ls := newLoginSite(t, func(c *Config) { c.Auth, c.Tokens, c.Pages = false, nil, pages })
	if rec := ls.do(t, req{method: "POST", path: "/api/v1/pages/p-li/received"}); rec.Code != 403 {
		t.Errorf("the console confirms li's page: %d %s, want 403", rec.Code, rec.Body)
	}
	c, who := ls.login(t, "li", liPassword)
	if rec := ls.do(t, req{method: "POST", path: "/api/v1/pages/p-li/received", cookie: c, csrf: who.CSRFToken}); rec.Code != 200 {
		t.Errorf("li confirms his page with auth off: %d %s", rec.Code, rec.Body)
	}
	if calls := pages.calls(); len(calls) != 1 || calls[0] != "li p-li app" {
		t.Errorf("the ledger was told %q", calls)
	}
}

// TestMyPages: GET /api/v1/pages lists the caller's own pending pages
// only; a config account has none; it needs a login.
func TestMyPages(t *testing.T) {
	pages := newFakePages()
	ls := newLoginSite(t, func(c *Config) {
		c.Pages = pages
		c.Users = map[string]User{"admin": {Role: "admin", PasswordHash: liHash}}
	})
	c, who := ls.login(t, "li", liPassword)
	list := func(q req) []string {
		t.Helper()
		rec := ls.do(t, q)
		var out pageList
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
			t.Fatalf("GET /api/v1/pages: %d %s", rec.Code, rec.Body)
		}
		var ids []string
		for _, p := range out.Pages {
			ids = append(ids, p.PageID)
		}
		return ids
	}
	if got := list(req{method: "GET", path: "/api/v1/pages", cookie: c}); len(got) != 1 || got[0] != "p-li" {
		t.Errorf("li's pages %v, want [p-li]", got)
	}
	ls.do(t, req{method: "POST", path: "/api/v1/pages/p-li/received", cookie: c, csrf: who.CSRFToken})
	if got := list(req{method: "GET", path: "/api/v1/pages", cookie: c}); len(got) != 0 {
		t.Errorf("li's pages after his receipt %v, want none", got)
	}
	if got := list(req{method: "GET", path: "/api/v1/pages", token: wangToken}); len(got) != 1 || got[0] != "p-wang" {
		t.Errorf("wang's pages %v, want [p-wang]", got)
	}
	admin, _ := ls.login(t, "admin", liPassword)
	if got := list(req{method: "GET", path: "/api/v1/pages", cookie: admin}); len(got) != 0 {
		t.Errorf("the admin's pages %v, want none", got)
	}
	if rec := ls.do(t, req{method: "GET", path: "/api/v1/pages"}); rec.Code != 401 {
		t.Errorf("without a login: %d", rec.Code)
	}
	if rec := ls.do(t, req{method: "GET", path: "/api/v1/pages?all=1", cookie: c}); rec.Code != 400 {
		t.Errorf("with a query: %d", rec.Code)
	}
}
