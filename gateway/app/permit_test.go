package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestAuthOffKeepsRoles: with HTTP auth off (the harness's loopback
// listener) the body's "by" names the caller and the permission table
// holds them to their role. A grid member may not switch emergency mode,
// reload the rules, set silences or broadcast — each refused with 403 and
// audited — while the security room and the command centre, and the local
// console naming nobody, still may.
func TestAuthOffKeepsRoles(t *testing.T) {
	s := startSite(t, siteOptions{})

	for _, tc := range []struct{ name, path, body string }{
		{"emergency", "/api/v1/emergency", `{"grid":"lh-g4-07","on":true,"by":"wang"}`},
		{"reload", "/api/v1/rules/reload", `{"by":"wang"}`},
		{"silence", "/api/v1/silences", `{"id":"mine","reason":"x","grids":["lh-g4-07"],"by":"wang"}`},
		{"broadcast", "/api/v1/broadcasts", `{"grid":"lh-g4-07","text":"x","by":"wang"}`},
		{"emergency by a stranger", "/api/v1/emergency", `{"grid":"lh-g4-07","on":true,"by":"ghost"}`},
	} {
		if code, body := s.post(tc.path, tc.body); code != http.StatusForbidden {
			t.Errorf("%s (by wang unless named), auth off: %d %s, want 403", tc.name, code, body)
		}
	}
	var em struct{ Emergencies []alarm.Emergency }
	s.getJSON("/api/v1/emergency", &em)
	if len(em.Emergencies) != 0 {
		t.Fatalf("emergency mode switched by a grid member: %+v", em.Emergencies)
	}
	var audit struct{ Records []alarm.AuditRecord }
	s.getJSON("/api/v1/audit", &audit)
	refused := map[string]bool{}
	for _, r := range audit.Records {
		if r.Kind == alarm.AuditRefused && r.By == "wang" {
			refused[r.Action] = true
		}
	}
	for _, a := range []string{"emergency_on", "reload the rules", "set silences"} {
		if !refused[a] {
			t.Errorf("refusal of %q by wang not audited: %+v", a, audit.Records)
		}
	}

	for _, tc := range []struct{ who, body string }{
		{"security room", `{"grid":"lianhua","on":true,"by":"room1"}`},
		{"command centre", `{"grid":"","on":true,"by":"cmd1"}`},
		{"local console", `{"grid":"lh-g4-08","on":true}`},
	} {
		if code, body := s.post("/api/v1/emergency", tc.body); code != http.StatusOK {
			t.Errorf("emergency by the %s, auth off: %d %s, want 200", tc.who, code, body)
		}
	}
	s.getJSON("/api/v1/emergency", &em)
	var by []string
	for _, e := range em.Emergencies {
		by = append(by, e.Scope+":"+e.By)
	}
	if got := strings.Join(by, " "); !strings.Contains(got, ":cmd1") || !strings.Contains(got, "lianhua:room1") || !strings.Contains(got, "lh-g4-08:console") {
		t.Errorf("emergencies %q, want the site by cmd1, lianhua by room1, lh-g4-08 by the console", got)
	}
	if code, body := s.post("/api/v1/emergency", `{"grid":"lianhua","on":false,"by":"wang"}`); code != http.StatusForbidden {
		t.Errorf("switching off by a grid member, auth off: %d %s, want 403", code, body)
	}
}
