package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

func TestListAlarms(t *testing.T) {
	closed := redAlarm()
	closed.ID, closed.State, closed.ClosedMS = "A0002", alarm.Resolved, 5000
	tests := []struct {
		query string
		code  int
		want  alarm.Filter
		msg   string
		ids   int
	}{
		{"", 200, alarm.Filter{State: "open", Limit: alarm.DefaultLimit}, "", 1},
		{"?state=all&grid=lh-g4-07&since=5&limit=10", 200, alarm.Filter{State: "all", Grid: "lh-g4-07", Since: 5, Limit: 10}, "", 2},
		{"?since=2000", 200, alarm.Filter{State: "open", Since: 2000, Limit: alarm.DefaultLimit}, "", 0},
		{"?state=all", 200, alarm.Filter{State: "all", Limit: alarm.DefaultLimit}, "", 2},
		{"?state=closed", 400, alarm.Filter{}, `state must be \"open\" or \"all\", not \"closed\"`, 0},
		{"?limit=0", 400, alarm.Filter{}, "limit must be a whole number from 1 to", 0},
		{"?limit=ten", 400, alarm.Filter{}, "limit must be", 0},
		{fmt.Sprintf("?limit=%d", alarm.MaxLimit+1), 400, alarm.Filter{}, "limit must be", 0},
		{"?since=-1", 400, alarm.Filter{}, "since must be Unix milliseconds", 0},
		{"?since=yesterday", 400, alarm.Filter{}, "since must be", 0},
		{"?grid=a/b", 400, alarm.Filter{}, "not a valid grid id", 0},
		{"?colour=red", 400, alarm.Filter{}, `unknown query parameter \"colour\"`, 0},
		{"?state=open&state=all", 400, alarm.Filter{}, "given 2 times", 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			desk := newFakeDesk(redAlarm(), closed)
			s := newServer(t, testConfig(desk, nil))
			code, body, _ := call(t, s.Handler(), "GET", "/api/v1/alarms"+tt.query, wangToken, "", "")
			if code != tt.code || !strings.Contains(body, tt.msg) {
				t.Fatalf("got %d %s, want %d %q", code, body, tt.code, tt.msg)
			}
			if code != 200 {
				if len(desk.filters) != 0 {
					t.Errorf("a bad query reached the desk: %+v", desk.filters)
				}
				return
			}
			if len(desk.filters) != 1 || desk.filters[0] != tt.want {
				t.Errorf("desk got filters %+v, want %+v", desk.filters, tt.want)
			}
			var out struct {
				Alarms []alarm.Alarm `json:"alarms"`
			}
			if err := json.Unmarshal([]byte(body), &out); err != nil {
				t.Fatal(err)
			}
			if len(out.Alarms) != tt.ids {
				t.Errorf("got %d alarms, want %d", len(out.Alarms), tt.ids)
			}
			if strings.Contains(body, "timeline") {
				t.Error("the list carries timelines; only GET /api/v1/alarms/{id} should")
			}
			if tt.ids == 0 && !strings.Contains(body, `"alarms":[]`) {
				t.Errorf("empty list is not []: %s", body)
			}
		})
	}
}

func TestGetAlarm(t *testing.T) {
	desk := newFakeDesk(redAlarm())
	s := newServer(t, testConfig(desk, nil))
	code, body, _ := call(t, s.Handler(), "GET", "/api/v1/alarms/A0001", wangToken, "", "")
	var a alarm.Alarm
	if err := json.Unmarshal([]byte(body), &a); err != nil || code != 200 {
		t.Fatalf("got %d %s (%v)", code, body, err)
	}
	if a.ID != "A0001" || len(a.Timeline) != 1 || a.Timeline[0].Kind != alarm.EntryRaised {
		t.Errorf("got %+v, want A0001 with its timeline", a)
	}
	code, body, _ = call(t, s.Handler(), "GET", "/api/v1/alarms/A9999", wangToken, "", "")
	if code != 404 || !strings.Contains(body, `no alarm \"A9999\"`) {
		t.Errorf("unknown id: got %d %s, want 404", code, body)
	}
	code, body, _ = call(t, s.Handler(), "GET", "/api/v1/alarms/"+strings.Repeat("x", 129), wangToken, "", "")
	if code != 400 || !strings.Contains(body, "not a valid alarm id") {
		t.Errorf("overlong id: got %d %s, want 400", code, body)
	}
	desk.err = errors.New("bolt: database not open")
	code, body, _ = call(t, s.Handler(), "GET", "/api/v1/alarms/A0001", wangToken, "", "")
	if code != 500 || strings.Contains(body, "bolt") || !strings.Contains(body, "internal error") {
		t.Errorf("desk failure: got %d %s, want 500 without the inner details", code, body)
	}
}

func TestAct(t *testing.T) {
	const ct = "application/json"
	tests := []struct {
		name        string
		authOff     bool
		path, token string
		ctype, body string
		deskErr     error
		code        int
		msg         string // in the body
		by          string // the desk's action.By on success
	}{
		{name: "ack with token", path: "A0001/ack", token: wangToken, ctype: ct, body: `{"note":"去现场"}`, code: 200, by: "wang"},
		{name: "arrive, no body", path: "A0001/arrive", token: zhaoToken, ctype: ct, code: 200, by: "zhao"},
		{name: "content type with charset", path: "A0001/resolve", token: wangToken, ctype: ct + "; charset=utf-8", body: `{}`, code: 200, by: "wang"},
		{name: "by naming someone else", path: "A0001/ack", token: wangToken, ctype: ct, body: `{"by":"zhao"}`, code: 400, msg: `\"by\" is not accepted from a logged-in caller`},
		{name: "by naming the caller", path: "A0001/ack", token: wangToken, ctype: ct, body: `{"by":"wang"}`, code: 200, by: "wang"},
		{name: "auth off, by given", authOff: true, path: "A0001/ack", ctype: ct, body: `{"by":"li","note":"ok"}`, code: 200, by: "li"},
		{name: "auth off, no by", authOff: true, path: "A0001/ack", ctype: ct, body: `{"note":"ok"}`, code: 200, by: "console"},
		{name: "auth off, bad by", authOff: true, path: "A0001/ack", ctype: ct, body: `{"by":"li li"}`, code: 400, msg: `\"by\" must be a staff id`},
		{name: "unknown action", path: "A0001/dance", token: wangToken, ctype: ct, body: `{}`, code: 404, msg: `unknown action \"dance\"`},
		{name: "unknown field", path: "A0001/ack", token: wangToken, ctype: ct, body: `{"note":"x","urgent":true}`, code: 400, msg: `unknown field \"urgent\"`},
		{name: "wrong type", path: "A0001/ack", token: wangToken, ctype: ct, body: `{"note":5}`, code: 400, msg: `field \"note\" must be string`},
		{name: "not an object", path: "A0001/ack", token: wangToken, ctype: ct, body: `["note"]`, code: 400, msg: "must be a JSON object"},
		{name: "broken JSON", path: "A0001/ack", token: wangToken, ctype: ct, body: `{"note":`, code: 400, msg: "request body"},
		{name: "two objects", path: "A0001/ack", token: wangToken, ctype: ct, body: `{} {}`, code: 400, msg: "exactly one JSON object"},
		{name: "no content type", path: "A0001/ack", token: wangToken, body: `{}`, code: 415, msg: "Content-Type: application/json"},
		{name: "form post", path: "A0001/ack", token: wangToken, ctype: "text/plain", body: `{}`, code: 415, msg: "Content-Type"},
		{name: "body too large", path: "A0001/ack", token: wangToken, ctype: ct, body: `{"note":"` + strings.Repeat("x", maxBody) + `"}`, code: 413, msg: "larger than 65536 bytes"},
		{name: "note too long", path: "A0001/ack", token: wangToken, ctype: ct, body: `{"note":"` + strings.Repeat("x", maxNote+1) + `"}`, code: 400, msg: "note is 4097 bytes long"},
		{name: "desk: not found", path: "A0404/ack", token: wangToken, ctype: ct, body: `{}`, code: 404, msg: "no such alarm"},
		{name: "desk: forbidden", path: "A0001/ack", token: wangToken, ctype: ct, body: `{}`, deskErr: fmt.Errorf("wang: %w", errForbidden), code: 403, msg: "does not serve"},
		{name: "desk: transition", path: "A0001/ack", token: wangToken, ctype: ct, body: `{}`, deskErr: fmt.Errorf("alarm A0001: cannot ack: %w", alarm.ErrTransition), code: 409, msg: "cannot ack"},
		{name: "desk: own status", path: "A0001/ack", token: wangToken, ctype: ct, body: `{}`, deskErr: statusErr(http.StatusTooManyRequests), code: 429, msg: "slow down"},
		{name: "desk: unknown failure", path: "A0001/ack", token: wangToken, ctype: ct, body: `{}`, deskErr: errors.New("disk full"), code: 500, msg: "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desk := newFakeDesk(redAlarm())
			desk.err = tt.deskErr
			s := newServer(t, testConfig(desk, func(c *Config) { c.Auth = !tt.authOff }))
			code, body, _ := call(t, s.Handler(), "POST", "/api/v1/alarms/"+tt.path, tt.token, tt.ctype, tt.body)
			if code != tt.code || !strings.Contains(body, tt.msg) {
				t.Fatalf("got %d %s, want %d %q", code, body, tt.code, tt.msg)
			}
			if !strings.HasPrefix(body, "{") {
				t.Errorf("answer is not a JSON object: %s", body)
			}
			if code != 200 {
				return
			}
			act := desk.lastAct(t)
			kind := event.ActionKind(tt.path[strings.IndexByte(tt.path, '/')+1:])
			if act.By != tt.by || act.Kind != kind || act.AlarmID != "A0001" || act.Channel != "http" || act.At != clock.UnixMilli() {
				t.Errorf("desk got %+v, want %s by %s on A0001 over http at %d", act, kind, tt.by, clock.UnixMilli())
			}
			var a alarm.Alarm
			if err := json.Unmarshal([]byte(body), &a); err != nil || a.ID != "A0001" || a.State == alarm.Open {
				t.Errorf("answer: %s (%v), want the changed alarm", body, err)
			}
		})
	}
}

func TestActNoteReachesDesk(t *testing.T) {
	desk := newFakeDesk(redAlarm())
	s := newServer(t, testConfig(desk, nil))
	code, body, _ := call(t, s.Handler(), "POST", "/api/v1/alarms/A0001/ack", wangToken, "application/json", `{"note":"马上到 on my way"}`)
	if code != 200 {
		t.Fatalf("got %d %s", code, body)
	}
	if got := desk.lastAct(t).Note; got != "马上到 on my way" {
		t.Errorf("note %q", got)
	}
}

type statusErr int

func (e statusErr) Error() string   { return "slow down" }
func (e statusErr) HTTPStatus() int { return int(e) }
