package httpapi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/gateway/passwd"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/testlog"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// loginSite is a server of the tests' site with a clock to move, a
// registry to swap, the log captured, and two alarms: A0001 in li's cell
// lh-g4-07, A0002 in ma's cell lh-g4-08.
type loginSite struct {
	s     *Server
	clock *testClock
	reg   atomic.Pointer[registry.Registry]
	logs  *testlog.Buffer
}

func otherCellAlarm() alarm.Alarm {
	a := redAlarm()
	a.ID, a.Grid, a.Device = "A0002", "lh-g4-08", "lb-0002"
	return a
}

func newLoginSite(t *testing.T, mod func(*Config)) *loginSite {
	t.Helper()
	ls := &loginSite{clock: &testClock{t: clock}, logs: &testlog.Buffer{}}
	ls.reg.Store(testRegistry())
	ls.s = newServer(t, testConfig(newFakeDesk(redAlarm(), otherCellAlarm()), func(c *Config) {
		c.Now = ls.clock.now
		c.Registry = ls.reg.Load
		c.Oversight = newFakeOversight()
		c.Sessions = SessionLimits{Idle: time.Hour, MaxAge: 4 * time.Hour, PerUser: 2}
		c.Logger = slog.New(slog.NewTextHandler(ls.logs, nil))
		if mod != nil {
			mod(c)
		}
	}))
	return ls
}

// req is one request to the site.
type req struct {
	method, path, body string
	cookie             *http.Cookie
	csrf, token        string
	addr               string // RemoteAddr; "" for httptest's
}

func (ls *loginSite) do(t *testing.T, q req) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(q.method, q.path, strings.NewReader(q.body))
	r.Host = "localhost"
	if q.addr != "" {
		r.RemoteAddr = q.addr
	}
	if q.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if q.cookie != nil {
		r.AddCookie(q.cookie)
	}
	if q.csrf != "" {
		r.Header.Set(csrfHeader, q.csrf)
	}
	if q.token != "" {
		r.Header.Set("Authorization", "Bearer "+q.token)
	}
	rec := httptest.NewRecorder()
	ls.s.Handler().ServeHTTP(rec, r)
	return rec
}

// login logs user in and returns the session cookie and the answer.
func (ls *loginSite) login(t *testing.T, user, password string) (*http.Cookie, whoami) {
	t.Helper()
	rec := ls.do(t, req{method: "POST", path: "/api/v1/session", body: fmt.Sprintf(`{"user":%q,"password":%q}`, user, password)})
	if rec.Code != 200 {
		t.Fatalf("login %s: %d %s", user, rec.Code, rec.Body)
	}
	var who whoami
	if err := json.Unmarshal(rec.Body.Bytes(), &who); err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("login set %d cookies, want 1", len(cookies))
	}
	return cookies[0], who
}

func TestLoginAnswersWhoAndSetsCookie(t *testing.T) {
	ls := newLoginSite(t, nil)
	c, who := ls.login(t, "li", liPassword)
	if c.Name != cookiePlain || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Path != "/" || len(c.Value) < 40 {
		t.Errorf("cookie %+v: want %s, HttpOnly, SameSite=Strict, Path=/, not Secure over plain HTTP, a 256-bit id", c, cookiePlain)
	}
	if who.User != "li" || who.Name != "李网格" || who.Role != "grid_member" || who.WholeSite || who.Auth != "session" ||
		len(who.Grids) != 1 || who.Grids[0] != (gridName{"lh-g4-07", "莲花四级网格7"}) || len(who.CSRFToken) < 40 || who.CSRFToken == c.Value {
		t.Errorf("login answer %+v", who)
	}
	if want := clock.Add(time.Hour).UnixMilli(); who.ExpiresMS != want {
		t.Errorf("expires_ms %d, want %d (idle timeout)", who.ExpiresMS, want)
	}
	rec := ls.do(t, req{method: "GET", path: "/api/v1/session", cookie: c})
	var again whoami
	json.Unmarshal(rec.Body.Bytes(), &again)
	if rec.Code != 200 || again.User != "li" || again.CSRFToken != who.CSRFToken {
		t.Errorf("GET session: %d %s", rec.Code, rec.Body)
	}
	rec = ls.do(t, req{method: "GET", path: "/api/v1/session", token: wangToken})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"user":"wang","name":"王监控","role":"security_room"`) ||
		!strings.Contains(rec.Body.String(), `"auth":"token"`) || strings.Contains(rec.Body.String(), "csrf") {
		t.Errorf("GET session with a token: %d %s", rec.Code, rec.Body)
	}
}

// TestAuthorisation is the table of refusals: each answers 401 or 403,
// counts its reason and writes an audit line naming it.
func TestAuthorisation(t *testing.T) {
	for i, tc := range []struct {
		name   string
		setup  func(t *testing.T, ls *loginSite) req
		code   int
		reason string // "" for an allowed request
	}{
		{"no session", func(*testing.T, *loginSite) req { return req{method: "GET", path: "/api/v1/alarms"} }, 401, refusedNoCredentials},
		{"unknown session", func(*testing.T, *loginSite) req {
			return req{method: "GET", path: "/api/v1/alarms", cookie: &http.Cookie{Name: cookiePlain, Value: "forged-0123456789"}}
		}, 401, refusedNoSession},
		{"expired session (idle)", func(t *testing.T, ls *loginSite) req {
			c, _ := ls.login(t, "li", liPassword)
			ls.clock.add(time.Hour)
			return req{method: "GET", path: "/api/v1/alarms", cookie: c}
		}, 401, refusedExpired},
		{"expired session (max age, though used)", func(t *testing.T, ls *loginSite) req {
			c, _ := ls.login(t, "li", liPassword)
			for range 4 {
				ls.clock.add(50 * time.Minute)
				ls.do(t, req{method: "GET", path: "/api/v1/session", cookie: c})
			}
			ls.clock.add(45 * time.Minute) // 245 min after the login, 45 after its last use
			return req{method: "GET", path: "/api/v1/alarms", cookie: c}
		}, 401, refusedExpired},
		{"password changed since login", func(t *testing.T, ls *loginSite) req {
			c, _ := ls.login(t, "li", liPassword)
			reg, err := registry.Parse("site.yaml", []byte(strings.Replace(testSite, liHash+`"}`+"\n  - {id: ma", `$2a$10$hlyJSCkAxCdHZj95pccG4eejmxUTJdUJIxRRUgxemLLaxULQA7zrC"}`+"\n  - {id: ma", 1)))
			if err != nil {
				t.Fatal(err)
			}
			ls.reg.Store(reg)
			return req{method: "GET", path: "/api/v1/alarms", cookie: c}
		}, 401, refusedAccount},
		{"wrong grid", func(t *testing.T, ls *loginSite) req {
			c, _ := ls.login(t, "li", liPassword)
			return req{method: "GET", path: "/api/v1/alarms/A0002", cookie: c}
		}, 403, refusedForbidden},
		{"wrong role", func(t *testing.T, ls *loginSite) req {
			c, who := ls.login(t, "li", liPassword)
			return req{method: "POST", path: "/api/v1/emergency", body: `{"grid":"lianhua","on":true}`, cookie: c, csrf: who.CSRFToken}
		}, 403, refusedForbidden},
		{"missing CSRF token", func(t *testing.T, ls *loginSite) req {
			c, _ := ls.login(t, "li", liPassword)
			return req{method: "POST", path: "/api/v1/alarms/A0001/ack", body: `{}`, cookie: c}
		}, 403, refusedCSRF},
		{"wrong CSRF token", func(t *testing.T, ls *loginSite) req {
			c, who := ls.login(t, "li", liPassword)
			return req{method: "POST", path: "/api/v1/alarms/A0001/ack", body: `{}`, cookie: c, csrf: who.CSRFToken[1:]}
		}, 403, refusedCSRF},
		{"another session's CSRF token", func(t *testing.T, ls *loginSite) req {
			c, _ := ls.login(t, "li", liPassword)
			_, other := ls.login(t, "ma", liPassword)
			return req{method: "POST", path: "/api/v1/alarms/A0001/ack", body: `{}`, cookie: c, csrf: other.CSRFToken}
		}, 403, refusedCSRF},
		{"logout without CSRF token", func(t *testing.T, ls *loginSite) req {
			c, _ := ls.login(t, "li", liPassword)
			return req{method: "DELETE", path: "/api/v1/session", cookie: c}
		}, 403, refusedCSRF},
		{"own cell with CSRF token", func(t *testing.T, ls *loginSite) req {
			c, who := ls.login(t, "li", liPassword)
			return req{method: "POST", path: "/api/v1/alarms/A0001/ack", body: `{}`, cookie: c, csrf: who.CSRFToken}
		}, 200, ""},
		{"bearer token needs no CSRF token", func(*testing.T, *loginSite) req {
			return req{method: "POST", path: "/api/v1/alarms/A0001/ack", body: `{}`, token: wangToken}
		}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ls := newLoginSite(t, nil)
			q := tc.setup(t, ls)
			q.addr = fmt.Sprintf("192.0.2.%d:4000", i+1)
			rec := ls.do(t, q)
			if rec.Code != tc.code {
				t.Fatalf("%s %s: %d %s, want %d", q.method, q.path, rec.Code, rec.Body, tc.code)
			}
			if tc.reason == "" {
				return
			}
			if n := testutil.ToFloat64(ls.s.metrics.refused.WithLabelValues(tc.reason)); n != 1 {
				t.Errorf("gridwatch_http_refused_total{reason=%q} = %v, want 1", tc.reason, n)
			}
			lines := ls.logs.Lines("http api: refused", "audit=true", "reason="+tc.reason, "remote="+strings.Split(q.addr, ":")[0], "path="+q.path)
			if len(lines) != 1 {
				t.Errorf("want one audit line for %s; log:\n%s", tc.reason, ls.logs)
			}
			if tc.code == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestReadsCutToCells(t *testing.T) {
	ls := newLoginSite(t, nil)
	c, _ := ls.login(t, "li", liPassword)
	rec := ls.do(t, req{method: "GET", path: "/api/v1/alarms", cookie: c})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "A0001") || strings.Contains(rec.Body.String(), "A0002") {
		t.Errorf("li's alarms: %d %s; want A0001 (lh-g4-07) only", rec.Code, rec.Body)
	}
	rec = ls.do(t, req{method: "GET", path: "/api/v1/alarms", token: wangToken})
	if !strings.Contains(rec.Body.String(), "A0001") || !strings.Contains(rec.Body.String(), "A0002") {
		t.Errorf("the security room's alarms: %s; want both", rec.Body)
	}
	// Paged for an alarm of another cell: li sees it.
	a := otherCellAlarm()
	a.Pages = []alarm.Page{{ID: "p1", Staff: "li", Channel: "app"}}
	ls.s.cfg.Alarms.(*fakeDesk).alarms["A0002"] = a
	if rec := ls.do(t, req{method: "GET", path: "/api/v1/alarms/A0002", cookie: c}); rec.Code != 200 {
		t.Errorf("an alarm li was paged for: %d %s", rec.Code, rec.Body)
	}
}

func TestStreamCutToCells(t *testing.T) {
	ls := newLoginSite(t, nil)
	li, _ := ls.s.hub.add(permitStaff("li"))
	room, _ := ls.s.hub.add(permitStaff("wang"))
	ls.s.PublishAlarm(otherCellAlarm())
	ls.s.PublishAlarm(redAlarm())
	if _, frames := li.take(); len(frames) != 1 || !strings.Contains(string(frames[0]), "A0001") {
		t.Errorf("li's stream got %q; want only A0001 of lh-g4-07", frames)
	}
	if _, frames := room.take(); len(frames) != 2 {
		t.Errorf("the security room's stream got %d frames, want 2", len(frames))
	}
}

func TestLoginThrottle(t *testing.T) {
	ls := newLoginSite(t, nil)
	try := func(user, password, addr string) *httptest.ResponseRecorder {
		return ls.do(t, req{method: "POST", path: "/api/v1/session", addr: addr,
			body: fmt.Sprintf(`{"user":%q,"password":%q}`, user, password)})
	}
	// Same answer for an unknown user and a wrong password.
	unknown, wrong := try("nobody", "x", "198.51.100.1:1"), try("ma", "x", "198.51.100.2:1")
	if unknown.Code != 401 || wrong.Code != 401 || unknown.Body.String() != wrong.Body.String() {
		t.Fatalf("unknown user %d %s, wrong password %d %s: want the same 401", unknown.Code, unknown.Body, wrong.Code, wrong.Body)
	}
	// Per user: from five addresses, li's sixth failure locks li.
	for i := range 5 {
		if rec := try("li", "wrong", fmt.Sprintf("203.0.113.%d:1", i)); rec.Code != 401 || rec.Header().Get("Retry-After") != "" {
			t.Fatalf("failure %d: %d Retry-After %q", i+1, rec.Code, rec.Header().Get("Retry-After"))
		}
	}
	if rec := try("li", "wrong", "203.0.113.9:1"); rec.Code != 401 || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("sixth failure: %d Retry-After %q, want 401 and 1", rec.Code, rec.Header().Get("Retry-After"))
	}
	rec := try("li", liPassword, "203.0.113.10:1")
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("right password while locked: %d %s, want 429 with Retry-After 1", rec.Code, rec.Body)
	}
	if n := testutil.ToFloat64(ls.s.metrics.logins.WithLabelValues("throttled")); n != 1 {
		t.Errorf("throttled logins counted %v, want 1", n)
	}
	ls.clock.add(time.Second)
	if rec := try("li", liPassword, "203.0.113.10:1"); rec.Code != 200 {
		t.Fatalf("after the lock: %d %s", rec.Code, rec.Body)
	}
	// Per address: one address guessing many users is locked for all.
	for i := range 6 {
		try(fmt.Sprintf("user%d", i), "wrong", "198.51.100.7:1")
	}
	if rec := try("ma", liPassword, "198.51.100.7:2"); rec.Code != 429 {
		t.Fatalf("a good login from an address that failed six times: %d, want 429", rec.Code)
	}
	if rec := try("ma", liPassword, "198.51.100.8:1"); rec.Code != 200 {
		t.Fatalf("the same user from elsewhere: %d %s", rec.Code, rec.Body)
	}
	if n := len(ls.logs.Lines("audit=true", "reason="+refusedLogin)); n == 0 {
		t.Error("failed logins left no audit line")
	}
}

func TestLogoutEndsSession(t *testing.T) {
	ls := newLoginSite(t, nil)
	c, who := ls.login(t, "li", liPassword)
	other, _ := ls.login(t, "li", liPassword)
	rec := ls.do(t, req{method: "DELETE", path: "/api/v1/session", cookie: c, csrf: who.CSRFToken})
	if rec.Code != 204 {
		t.Fatalf("logout: %d %s", rec.Code, rec.Body)
	}
	if gone := rec.Result().Cookies(); len(gone) != 1 || gone[0].MaxAge >= 0 || gone[0].Value != "" {
		t.Errorf("logout cookies %+v: want the session cookie cleared", gone)
	}
	if rec := ls.do(t, req{method: "GET", path: "/api/v1/alarms", cookie: c}); rec.Code != 401 {
		t.Errorf("the logged-out cookie: %d, want 401", rec.Code)
	}
	if rec := ls.do(t, req{method: "GET", path: "/api/v1/alarms", cookie: other}); rec.Code != 200 {
		t.Errorf("li's other session: %d, want 200 (logout ends one session)", rec.Code)
	}
}

func TestLoginAgainReplacesTheBrowsersSession(t *testing.T) {
	ls := newLoginSite(t, nil)
	old, _ := ls.login(t, "li", liPassword)
	rec := ls.do(t, req{method: "POST", path: "/api/v1/session", cookie: old, body: `{"user":"ma","password":"` + liPassword + `"}`})
	if rec.Code != 200 {
		t.Fatalf("second login: %d %s", rec.Code, rec.Body)
	}
	if rec := ls.do(t, req{method: "GET", path: "/api/v1/session", cookie: old}); rec.Code != 401 {
		t.Errorf("the browser's previous session: %d, want 401 (ended by the new login)", rec.Code)
	}
}

func TestOldestSessionEvicted(t *testing.T) {
	ls := newLoginSite(t, nil) // PerUser 2
	first, _ := ls.login(t, "li", liPassword)
	ls.login(t, "li", liPassword)
	ls.login(t, "li", liPassword)
	if rec := ls.do(t, req{method: "GET", path: "/api/v1/session", cookie: first}); rec.Code != 401 {
		t.Errorf("the oldest of three sessions with per_user 2: %d, want 401", rec.Code)
	}
}

func TestConfigAccounts(t *testing.T) {
	ls := newLoginSite(t, func(c *Config) {
		c.Users = map[string]User{"fitter": {Role: "installer", PasswordHash: liHash}}
	})
	c, who := ls.login(t, "fitter", liPassword)
	if who.Role != "installer" || !who.WholeSite {
		t.Errorf("installer: %+v", who)
	}
	rec := ls.do(t, req{method: "GET", path: "/api/v1/alarms", cookie: c})
	if !strings.Contains(rec.Body.String(), "A0001") || !strings.Contains(rec.Body.String(), "A0002") {
		t.Errorf("an installer sees the whole site: %s", rec.Body)
	}
	if _, err := New(testConfig(newFakeDesk(), func(c *Config) {
		c.Users = map[string]User{"x y": {Role: "root", PasswordHash: "plain"}}
	})); err == nil || !strings.Contains(err.Error(), `role "root"`) || !strings.Contains(err.Error(), "not a valid id") {
		t.Errorf("bad users: %v", err)
	}
}

func TestAuthOffKeepsLoginsAndScope(t *testing.T) {
	ls := newLoginSite(t, func(c *Config) { c.Auth, c.Tokens = false, nil })
	rec := ls.do(t, req{method: "GET", path: "/api/v1/session"})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"user":"console"`) || !strings.Contains(rec.Body.String(), `"auth":"none"`) {
		t.Errorf("auth off, no login: %d %s, want the console", rec.Code, rec.Body)
	}
	c, who := ls.login(t, "li", liPassword)
	rec = ls.do(t, req{method: "GET", path: "/api/v1/alarms", cookie: c})
	if strings.Contains(rec.Body.String(), "A0002") {
		t.Errorf("auth off, logged in as li: %s; want li's cells only", rec.Body)
	}
	rec = ls.do(t, req{method: "POST", path: "/api/v1/alarms/A0001/ack", body: `{"by":"wang"}`, cookie: c, csrf: who.CSRFToken})
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), `is not accepted from a logged-in caller`) {
		t.Errorf("auth off, li naming wang: %d %s, want 400", rec.Code, rec.Body)
	}
	rec = ls.do(t, req{method: "POST", path: "/api/v1/alarms/A0001/ack", body: `{}`, cookie: c})
	if rec.Code != 403 {
		t.Errorf("auth off, a session without its CSRF token: %d, want 403", rec.Code)
	}
}

// TestDummyHashCostsWhatARealOneDoes keeps the unknown user's hash at the
// parameters passwd.Hash writes, so that a login of an unknown name takes
// as long as one of a known name.
func TestDummyHashCostsWhatARealOneDoes(t *testing.T) {
	real, err := passwd.Hash("x")
	if err != nil {
		t.Fatal(err)
	}
	params := func(h string) string { return strings.Join(strings.Split(h, "$")[:4], "$") }
	if params(dummyHash) != params(real) {
		t.Errorf("dummy hash parameters %s, passwd.Hash writes %s", params(dummyHash), params(real))
	}
	if err := passwd.Check(dummyHash); err != nil {
		t.Error(err)
	}
}

// TestStreamFollowsItsSession: a session's stream keeps the session alive
// while it is open, and ends (bye) within a keep-alive of a logout.
func TestStreamFollowsItsSession(t *testing.T) {
	ls := newLoginSite(t, nil) // idle timeout 1 h
	ls.s.limits.keepAlive = 20 * time.Millisecond
	ts := startServer(t, ls.s)
	c, who := ls.login(t, "li", liPassword)
	other, _ := ls.login(t, "li", liPassword)

	streamOf := func(c *http.Cookie) <-chan sse {
		req, _ := http.NewRequest("GET", ts.URL+"/api/v1/stream", nil)
		req.AddCookie(c)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("stream: %v %v", err, resp)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return readEvents(resp.Body)
	}
	events, watching := streamOf(c), streamOf(other)
	next(t, events, "hello")
	next(t, watching, "hello")
	for range 2 { // 100 min after the login, never more than 50 after a use by the stream
		ls.clock.add(50 * time.Minute)
		now := ls.clock.now()
		waitFor(t, "the stream's keep-alive uses the session", func() bool {
			sess, err := ls.s.sessions.Peek(other.Value)
			return err == nil && sess.Used.Equal(now)
		})
	}
	if rec := ls.do(t, req{method: "GET", path: "/api/v1/session", cookie: other}); rec.Code != 200 {
		t.Fatalf("a session whose stream is open ended after its idle timeout: %d", rec.Code)
	}

	ls.do(t, req{method: "DELETE", path: "/api/v1/session", cookie: c, csrf: who.CSRFToken})
	next(t, events, "bye")
	for range events {
	}
}

// TestLoginsWaitForAPasswordCheckSlot: with every slot taken, a login
// waits, then is told to come back (503, Retry-After) without a check.
func TestLoginsWaitForAPasswordCheckSlot(t *testing.T) {
	ls := newLoginSite(t, nil)
	ls.s.limits.kdfWait = 10 * time.Millisecond
	for range cap(ls.s.kdf) {
		ls.s.kdf <- struct{}{}
	}
	rec := ls.do(t, req{method: "POST", path: "/api/v1/session", body: `{"user":"li","password":"` + liPassword + `"}`})
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "1" {
		t.Errorf("all slots taken: %d Retry-After %q, want 503 and 1", rec.Code, rec.Header().Get("Retry-After"))
	}
	if n := testutil.ToFloat64(ls.s.metrics.logins.WithLabelValues("busy")); n != 1 {
		t.Errorf("busy logins counted %v, want 1", n)
	}
	<-ls.s.kdf
	if rec := ls.do(t, req{method: "POST", path: "/api/v1/session", body: `{"user":"li","password":"` + liPassword + `"}`}); rec.Code != 200 {
		t.Errorf("a slot free: %d", rec.Code)
	}
}
