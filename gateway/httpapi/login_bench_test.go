package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/passwd"
	"github.com/gridwatch/gridwatch/gateway/permit"
)

// BenchmarkLogin is one POST /api/v1/session with a hash at passwd.Hash's
// cost, known user and unknown user: what a login costs the gateway, and
// that an unknown name costs the same.
func BenchmarkLogin(b *testing.B) {
	hash, err := passwd.Hash("bench-password")
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(testConfig(newFakeDesk(), func(c *Config) {
		c.Users = map[string]User{"admin": {Role: permit.Admin, PasswordHash: hash}}
		c.Sessions = SessionLimits{Idle: time.Hour, MaxAge: time.Hour, PerUser: 1}
	}))
	if err != nil {
		b.Fatal(err)
	}
	s.throttle.Free = 1 << 30 // no lockout in a benchmark
	for _, bc := range []struct{ name, body string }{
		{"known", `{"user":"admin","password":"bench-password"}`},
		{"unknown", `{"user":"nobody","password":"bench-password"}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				r := httptest.NewRequest("POST", "/api/v1/session", strings.NewReader(bc.body))
				r.Host = "localhost"
				r.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				s.Handler().ServeHTTP(rec, r)
				if rec.Code != 200 && rec.Code != 401 {
					b.Fatalf("login: %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
