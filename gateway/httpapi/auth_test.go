package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAuth(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(redAlarm()), nil))
	tests := []struct {
		name, header string
		code         int
		msg          string
	}{
		{"no header", "", 401, "log in (POST /api/v1/session) or send the header Authorization: Bearer TOKEN"},
		{"wrong scheme", "Basic d2FuZzp4", 401, "malformed Authorization header"},
		{"empty bearer", "Bearer ", 401, "malformed Authorization header"},
		{"unknown token", "Bearer not-a-token-of-anyone", 401, "invalid bearer token"},
		{"prefix of a token", "Bearer " + wangToken[:len(wangToken)-1], 401, "invalid bearer token"},
		{"good token", "Bearer " + wangToken, 200, ""},
		{"scheme in lower case", "bearer " + zhaoToken, 200, ""},
	}
	for _, path := range []string{"/api/v1/alarms", "/api/v1/alarms/A0001", "/api/v1/devices", "/api/v1/nothing"} {
		for _, tt := range tests {
			t.Run(path+"/"+tt.name, func(t *testing.T) {
				req := httptest.NewRequest("GET", path, nil)
				if tt.header != "" {
					req.Header.Set("Authorization", tt.header)
				}
				rec := httptest.NewRecorder()
				s.Handler().ServeHTTP(rec, req)
				code := tt.code
				if code == 200 && path == "/api/v1/nothing" {
					code = 404
				}
				if rec.Code != code || !strings.Contains(rec.Body.String(), tt.msg) {
					t.Fatalf("got %d %s, want %d %q", rec.Code, rec.Body, code, tt.msg)
				}
				if code == 401 && rec.Header().Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			})
		}
	}
	t.Run("post needs a token too", func(t *testing.T) {
		code, _, _ := call(t, s.Handler(), "POST", "/api/v1/alarms/A0001/ack", "", "application/json", `{}`)
		if code != 401 {
			t.Fatalf("got %d, want 401", code)
		}
	})
}

func TestTokenOwner(t *testing.T) {
	tok, err := newTokens(true, map[string]string{"wang": wangToken, "zhao": zhaoToken})
	if err != nil {
		t.Fatal(err)
	}
	for token, want := range map[string]string{wangToken: "wang", zhaoToken: "zhao", "": "", wangToken + "x": ""} {
		got, ok := tok.owner(token)
		if got != want || ok != (want != "") {
			t.Errorf("owner(%q) = %q, %v; want %q", token, got, ok, want)
		}
	}
}
