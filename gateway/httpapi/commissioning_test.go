package httpapi

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/commission"
	"github.com/gridwatch/gridwatch/gateway/permit"
)

// startOnlyCommissioning starts sessions and, like the real service, tells
// nobody of a start (only of later changes).
type startOnlyCommissioning struct{}

func (startOnlyCommissioning) Start(req commission.Request, who permit.Caller) (commission.Session, error) {
	return commission.Session{ID: "cs-1", By: who.ID, Reason: req.Reason, StartedMS: 1000, ExpiresMS: 3_601_000,
		Devices: map[string]*commission.Device{"lb-0001": {ID: "lb-0001", Kind: "lightbox", Grid: "lh-g4-07",
			Expected: commission.Expected("lightbox"), Marks: map[commission.Check]*commission.Mark{}, Outcome: commission.Pending}},
		Summary: map[string]int{commission.Pending: 1}}, nil
}
func (startOnlyCommissioning) Get(string, permit.Caller) (commission.Session, error) {
	return commission.Session{}, nil
}
func (startOnlyCommissioning) List(permit.Caller) []commission.Session { return nil }
func (startOnlyCommissioning) End(string, permit.Caller) (commission.Session, error) {
	return commission.Session{}, nil
}

// TestCommissioningStartIsStreamed: a session started over the API is on
// the stream at once, so an open wall screen shows it before its devices
// report anything.
func TestCommissioningStartIsStreamed(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(), func(c *Config) { c.Commissioning = startOnlyCommissioning{} }))
	ts := startServer(t, s)
	events, _ := openStream(t, ts.URL, wangToken)
	next(t, events, "hello")

	code, body, _ := call(t, s.Handler(), "POST", "/api/v1/commissioning", wangToken, "application/json", `{"devices":["lb-0001"],"reason":"验收"}`)
	if code != 201 {
		t.Fatalf("start: %d %s", code, body)
	}
	var ss commission.Session
	ev := next(t, events, "commissioning")
	if err := json.Unmarshal([]byte(ev.data), &ss); err != nil || ss.ID != "cs-1" || ss.Devices["lb-0001"] == nil || ss.Reason != "验收" {
		t.Fatalf("commissioning event %q (%v)", ev.data, err)
	}
}

// listCommissioning has a live session and an ended one.
type listCommissioning struct{ startOnlyCommissioning }

func (listCommissioning) List(permit.Caller) []commission.Session {
	return []commission.Session{{ID: "cs-live", StartedMS: 2000, ExpiresMS: 3_602_000}, {ID: "cs-ended", StartedMS: 1000, EndedMS: 1500, EndReason: "ended"}}
}

// TestCommissioningListLiveOnly: ?live=true answers the live sessions
// only (the console's panel shows no other), without the reports of the
// ended ones; a bad query is a 400.
func TestCommissioningListLiveOnly(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(), func(c *Config) { c.Commissioning = listCommissioning{} }))
	for _, tc := range []struct {
		query string
		code  int
		want  []string
	}{
		{"", 200, []string{"cs-live", "cs-ended"}},
		{"?live=true", 200, []string{"cs-live"}},
		{"?live=false", 200, []string{"cs-live", "cs-ended"}},
		{"?live=maybe", 400, nil},
		{"?state=live", 400, nil},
	} {
		code, body, _ := call(t, s.Handler(), "GET", "/api/v1/commissioning"+tc.query, wangToken, "", "")
		var got commissionList
		if code != tc.code || code == 200 && json.Unmarshal([]byte(body), &got) != nil {
			t.Errorf("GET %s: %d %s, want %d", tc.query, code, body, tc.code)
			continue
		}
		var ids []string
		for _, ss := range got.Sessions {
			ids = append(ids, ss.ID)
		}
		if code == 200 && !slices.Equal(ids, tc.want) {
			t.Errorf("GET %s: sessions %v, want %v", tc.query, ids, tc.want)
		}
	}
}
