package httpapi

import (
	"context"
	"errors"
	"fmt"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// fakeRules keeps silences in memory; only "zhao" may change anything.
type fakeRules struct {
	mu       sync.Mutex
	silences []Silence
	calls    []string // "what by console"
	refuse   error    // returned by ReloadRules
}

func (f *fakeRules) RuleSet() RuleSet {
	return RuleSet{Source: "rules.yaml", LoadedMS: 7, Rules: []string{"panic"}, Tests: 2}
}

func (f *fakeRules) record(what string, who permit.Caller) error {
	by, console := who.ID, who.IsConsole()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("%s %s %v", what, by, console))
	if !console && by != "zhao" {
		return fmt.Errorf("%s may not: %w", by, errForbidden)
	}
	return nil
}

func (f *fakeRules) ReloadRules(_ context.Context, who permit.Caller) (RuleSet, error) {
	if err := f.record("reload", who); err != nil {
		return RuleSet{}, err
	}
	if f.refuse != nil {
		return RuleSet{}, f.refuse
	}
	return f.RuleSet(), nil
}

func (f *fakeRules) Silences() []Silence {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.silences
}

func (f *fakeRules) SetSilence(_ context.Context, s Silence, who permit.Caller) (Silence, error) {
	if err := f.record("set "+s.ID, who); err != nil {
		return Silence{}, err
	}
	s.By = who.ID
	f.mu.Lock()
	f.silences = append(f.silences, s)
	f.mu.Unlock()
	return s, nil
}

func (f *fakeRules) RemoveSilence(_ context.Context, id string, who permit.Caller) error {
	if err := f.record("remove "+id, who); err != nil {
		return err
	}
	return fmt.Errorf("silence %q: %w", id, errNotFound)
}

// refusal is a rule file refused with its problems.
type refusal struct{ error }

func (refusal) HTTPStatus() int { return http.StatusUnprocessableEntity }

func TestRuleRoutes(t *testing.T) {
	tests := []struct {
		name, method, target, token, body string
		authOff                           bool
		refuse                            error
		code                              int
		msg, call                         string
	}{
		{"rule set", "GET", "/api/v1/rules", wangToken, "", false, nil, 200, `"rules":["panic"]`, ""},
		{"reload", "POST", "/api/v1/rules/reload", zhaoToken, "{}", false, nil, 200, `"source":"rules.yaml"`, "reload zhao false"},
		{"reload refused file", "POST", "/api/v1/rules/reload", zhaoToken, "{}", false,
			refusal{errors.New("rules.yaml:3: x: bad severity")}, 422, "rules.yaml:3", "reload zhao false"},
		{"reload, grid member", "POST", "/api/v1/rules/reload", wangToken, "{}", false, nil, 403, "wang may not", "reload wang false"},
		{"reload, by someone else", "POST", "/api/v1/rules/reload", wangToken, `{"by":"zhao"}`, false, nil, 400, "not accepted from a logged-in caller", ""},
		{"reload, auth off, by names a caller who may not", "POST", "/api/v1/rules/reload", "", `{"by":"duty"}`, true, nil, 403, "duty may not", "reload duty false"},
		{"reload, auth off, the console", "POST", "/api/v1/rules/reload", "", `{}`, true, nil, 200, "panic", "reload console true"},
		{"reload, no JSON", "POST", "/api/v1/rules/reload", zhaoToken, "", false, nil, 415, "must be JSON", ""},
		{"reload, GET", "GET", "/api/v1/rules/reload", zhaoToken, "", false, nil, 405, "allowed: POST", ""},
		{"silences, none", "GET", "/api/v1/silences", wangToken, "", false, nil, 200, `"silences":[]`, ""},
		{"set silence", "POST", "/api/v1/silences", zhaoToken, `{"id":"m1","reason":"检修","grids":["lianhua"],"until":"2026-11-24T08:00:00+08:00"}`,
			false, nil, 201, `"by":"zhao"`, "set m1 zhao false"},
		{"set silence, weekly", "POST", "/api/v1/silences", zhaoToken, `{"id":"w","reason":"r","rules":["panic"],"every":{"weekdays":[1],"from":"02:00","until":"04:00"}}`,
			false, nil, 201, `"every":{"weekdays":[1],"from":"02:00","until":"04:00"}`, "set w zhao false"},
		{"set silence, unknown field", "POST", "/api/v1/silences", zhaoToken, `{"id":"m1","scope":"x"}`, false, nil, 400, "allowed: id, reason", ""},
		{"set silence, bad time", "POST", "/api/v1/silences", zhaoToken, `{"id":"m1","until":"tomorrow"}`, false, nil, 400, `parsing time \"tomorrow\"`, ""},
		{"set silence, set_ms given", "POST", "/api/v1/silences", zhaoToken, `{"id":"m1","set_ms":5}`, false, nil, 400, "filled in by the gateway", ""},
		{"set silence, grid member", "POST", "/api/v1/silences", wangToken, `{"id":"m1","reason":"r","devices":["lb-1"]}`, false, nil, 403, "wang may not", "set m1 wang false"},
		{"remove unknown", "DELETE", "/api/v1/silences/m9", zhaoToken, "", false, nil, 404, `silence \"m9\"`, "remove m9 zhao false"},
		{"remove, grid member", "DELETE", "/api/v1/silences/m9", wangToken, "", false, nil, 403, "wang may not", "remove m9 wang false"},
		{"silences, PUT", "PUT", "/api/v1/silences", zhaoToken, "", false, nil, 405, "allowed: GET, HEAD, POST", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &fakeRules{refuse: tt.refuse}
			s := newServer(t, testConfig(newFakeDesk(), func(c *Config) {
				c.Rules = r
				c.Auth = !tt.authOff
			}))
			ct := ""
			if tt.body != "" {
				ct = "application/json"
			}
			code, body, _ := call(t, s.Handler(), tt.method, tt.target, tt.token, ct, tt.body)
			if code != tt.code || !strings.Contains(body, tt.msg) {
				t.Fatalf("got %d %s, want %d %q", code, body, tt.code, tt.msg)
			}
			if got := strings.Join(r.calls, "; "); got != tt.call {
				t.Fatalf("calls = %q, want %q", got, tt.call)
			}
		})
	}
}

func TestRuleRoutesLeftOutWithoutRules(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(), nil))
	if code, body, _ := call(t, s.Handler(), "GET", "/api/v1/silences", wangToken, "", ""); code != 404 {
		t.Fatalf("got %d %s, want 404", code, body)
	}
}
