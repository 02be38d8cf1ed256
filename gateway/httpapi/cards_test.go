package httpapi

import (
	"fmt"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"strings"
	"testing"
)

type fakeCards struct{ asked []string }

func (f *fakeCards) Cards(door string, who permit.Caller) ([]Card, error) {
	by, console := who.ID, who.IsConsole()
	f.asked = append(f.asked, fmt.Sprintf("%q %s %v", door, by, console))
	if !console && by != "zhao" {
		return nil, fmt.Errorf("%s may not: %w", by, errForbidden)
	}
	return []Card{{Card: "41551", Facility: 68, Doors: []string{"rd-0001"}}}, nil
}

func TestCardRoute(t *testing.T) {
	for _, tt := range []struct {
		name, target, token string
		code                int
		msg, asked          string
	}{
		{"list", "/api/v1/cards", zhaoToken, 200, `"cards":[{"card":"41551","facility":68,"doors":["rd-0001"]}]`, `"" zhao false`},
		{"one door", "/api/v1/cards?door=rd-0001", zhaoToken, 200, `"41551"`, `"rd-0001" zhao false`},
		{"grid member", "/api/v1/cards", wangToken, 403, "wang may not", `"" wang false`},
		{"bad door", "/api/v1/cards?door=a/b", zhaoToken, 400, "not a valid device id", ""},
		{"unknown parameter", "/api/v1/cards?grid=x", zhaoToken, 400, "only one door", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeCards{}
			s := newServer(t, testConfig(newFakeDesk(), func(c *Config) { c.Cards = f }))
			code, body, _ := call(t, s.Handler(), "GET", tt.target, tt.token, "", "")
			if code != tt.code || !strings.Contains(body, tt.msg) {
				t.Fatalf("got %d %s, want %d %q", code, body, tt.code, tt.msg)
			}
			if got := strings.Join(f.asked, "; "); got != tt.asked {
				t.Fatalf("asked %q, want %q", got, tt.asked)
			}
		})
	}
}
