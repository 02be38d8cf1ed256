package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"strings"
	"sync"
	"testing"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// fakeOversight keeps switches in memory; only "zhao" may switch or read
// the audit log, and only the grids of lianhua.
type fakeOversight struct {
	mu       sync.Mutex
	on       map[string]alarm.Emergency
	switches []string // "scope on by console"
	audits   [][2]int64
}

func newFakeOversight() *fakeOversight { return &fakeOversight{on: map[string]alarm.Emergency{}} }

func (f *fakeOversight) Emergencies() ([]alarm.Emergency, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []alarm.Emergency
	for _, e := range f.on {
		out = append(out, e)
	}
	return out, nil
}

func (f *fakeOversight) set(scope string, on bool, by string, console bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.switches = append(f.switches, fmt.Sprintf("%q %v %s %v", scope, on, by, console))
	if !console && (by != "zhao" || scope != "lianhua") {
		return fmt.Errorf("emergency %q: %s may not: %w", scope, by, errForbidden)
	}
	if on {
		f.on[scope] = alarm.Emergency{Scope: scope, On: true, By: by}
	} else {
		delete(f.on, scope)
	}
	return nil
}

func (f *fakeOversight) SetEmergency(_ context.Context, scope string, on bool, who permit.Caller) error {
	return f.set(scope, on, who.ID, who.IsConsole())
}

func (f *fakeOversight) AuditLog(since int64, limit int) ([]alarm.AuditRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.audits = append(f.audits, [2]int64{since, int64(limit)})
	return []alarm.AuditRecord{{Seq: 1, At: 5, Kind: alarm.AuditRefused, By: "wang", Action: "ack", Alarm: "A1"}}, nil
}

func (f *fakeOversight) MayOversee(who permit.Caller) bool {
	return who.IsConsole() || who.ID == "zhao"
}

func TestEmergencyAndAuditRoutes(t *testing.T) {
	const json = "application/json"
	tests := []struct {
		name, method, target, token, body string
		authOff                           bool
		code                              int
		msg                               string
		switched                          string
	}{
		{"list, empty", "GET", "/api/v1/emergency", wangToken, "", false, 200, `"emergencies":[]`, ""},
		{"no token", "GET", "/api/v1/emergency", "", "", false, 401, "log in (POST /api/v1/session)", ""},
		{"switch on", "POST", "/api/v1/emergency", zhaoToken, `{"grid":"lianhua","on":true}`, false, 200, `"grid":"lianhua","on":true,"by":"zhao"`, `"lianhua" true zhao false`},
		{"refused", "POST", "/api/v1/emergency", wangToken, `{"grid":"lianhua","on":true}`, false, 403, "wang may not", `"lianhua" true wang false`},
		{"whole site", "POST", "/api/v1/emergency", zhaoToken, `{"grid":"","on":true}`, false, 403, "may not", `"" true zhao false`},
		{"by someone else", "POST", "/api/v1/emergency", wangToken, `{"grid":"lianhua","on":true,"by":"zhao"}`, false, 400, "is not accepted from a logged-in caller", ""},
		{"no on", "POST", "/api/v1/emergency", zhaoToken, `{"grid":"lianhua"}`, false, 400, "must give", ""},
		{"no grid", "POST", "/api/v1/emergency", zhaoToken, `{"on":false}`, false, 400, "must give", ""},
		{"bad grid", "POST", "/api/v1/emergency", zhaoToken, `{"grid":"a/b","on":true}`, false, 400, "not a valid grid id", ""},
		{"unknown field", "POST", "/api/v1/emergency", zhaoToken, `{"grid":"x","on":true,"why":1}`, false, 400, "allowed: grid, on, by", ""},
		// Auth off removes the login, not the roles: the body's "by" names
		// the caller, who is checked; naming nobody is the local console.
		{"auth off, by names a caller who may not", "POST", "/api/v1/emergency", "", `{"grid":"","on":true,"by":"duty"}`, true, 403, "duty may not", `"" true duty false`},
		{"auth off, by names a caller who may", "POST", "/api/v1/emergency", "", `{"grid":"lianhua","on":true,"by":"zhao"}`, true, 200, `"by":"zhao"`, `"lianhua" true zhao false`},
		{"auth off, the console", "POST", "/api/v1/emergency", "", `{"grid":"","on":true}`, true, 200, `"by":"console"`, `"" true console true`},
		{"wrong method", "DELETE", "/api/v1/emergency", zhaoToken, "", false, 405, "allowed: GET, HEAD, POST", ""},
		{"audit, overseer", "GET", "/api/v1/audit?since=3&limit=7", zhaoToken, "", false, 200, `"records":[{"seq":1`, ""},
		{"audit, grid member", "GET", "/api/v1/audit", wangToken, "", false, 403, "wang is neither", ""},
		{"audit, auth off", "GET", "/api/v1/audit", "", "", true, 200, `"kind":"refused"`, ""},
		{"audit, bad limit", "GET", "/api/v1/audit?limit=0", zhaoToken, "", false, 400, "limit must be", ""},
		{"audit, bad since", "GET", "/api/v1/audit?since=-4", zhaoToken, "", false, 400, "since must be", ""},
		{"audit, unknown param", "GET", "/api/v1/audit?grid=x", zhaoToken, "", false, 400, `unknown query parameter \"grid\"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ov := newFakeOversight()
			s := newServer(t, testConfig(newFakeDesk(), func(c *Config) {
				c.Oversight = ov
				c.Auth = !tt.authOff
			}))
			ct := ""
			if tt.body != "" {
				ct = json
			}
			code, body, _ := call(t, s.Handler(), tt.method, tt.target, tt.token, ct, tt.body)
			if code != tt.code || !strings.Contains(body, tt.msg) {
				t.Fatalf("got %d %s, want %d %q", code, body, tt.code, tt.msg)
			}
			var got string
			if len(ov.switches) > 0 {
				got = ov.switches[0]
			}
			if len(ov.switches) > 1 || got != tt.switched {
				t.Fatalf("switches = %q, want %q", ov.switches, tt.switched)
			}
			if tt.name == "audit, overseer" && (len(ov.audits) != 1 || ov.audits[0] != [2]int64{3, 7}) {
				t.Fatalf("audit queries = %v", ov.audits)
			}
		})
	}
}

func TestOversightRoutesLeftOutWithoutOversight(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(), nil))
	code, body, _ := call(t, s.Handler(), "GET", "/api/v1/emergency", wangToken, "", "")
	var e errorBody
	if code != 404 || json.Unmarshal([]byte(body), &e) != nil {
		t.Fatalf("got %d %s, want 404", code, body)
	}
}
