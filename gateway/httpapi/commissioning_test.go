package httpapi

import (
	"encoding/json"
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
