package httpapi

import (
	"context"
	"errors"
	"fmt"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Errors the fake desk returns, standing in for rules/escalate's.
var (
	errNotFound  = errors.New("no such alarm")
	errForbidden = errors.New("staff does not serve this grid")
)

// fakeDesk is an in-memory escalation desk.
type fakeDesk struct {
	mu      sync.Mutex
	alarms  map[string]alarm.Alarm
	filters []alarm.Filter
	acts    []event.Action
	err     error // returned by every call when set
}

func newFakeDesk(as ...alarm.Alarm) *fakeDesk {
	d := &fakeDesk{alarms: map[string]alarm.Alarm{}}
	for _, a := range as {
		d.alarms[a.ID] = a
	}
	return d
}

func (d *fakeDesk) List(f alarm.Filter) ([]alarm.Alarm, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.filters = append(d.filters, f)
	if d.err != nil {
		return nil, d.err
	}
	var out []alarm.Alarm
	for _, a := range d.alarms {
		if f.Match(&a) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (d *fakeDesk) Get(id string) (alarm.Alarm, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return alarm.Alarm{}, false, d.err
	}
	a, ok := d.alarms[id]
	return a, ok, nil
}

func (d *fakeDesk) Act(_ context.Context, who permit.Caller, act event.Action) (alarm.Alarm, error) {
	if act.By != who.ID {
		return alarm.Alarm{}, fmt.Errorf("act.By %q is not the caller %q", act.By, who.ID)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.acts = append(d.acts, act)
	if d.err != nil {
		return alarm.Alarm{}, d.err
	}
	a, ok := d.alarms[act.AlarmID]
	if !ok {
		return alarm.Alarm{}, fmt.Errorf("desk: alarm %s: %w", act.AlarmID, errNotFound)
	}
	if err := a.Apply(act); err != nil {
		return alarm.Alarm{}, err
	}
	d.alarms[a.ID] = a
	return a, nil
}

func (d *fakeDesk) lastAct(t *testing.T) event.Action {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.acts) == 0 {
		t.Fatal("the desk got no action")
	}
	return d.acts[len(d.acts)-1]
}

type fakeDevices []devices.Status

func (f fakeDevices) List() []devices.Status { return f }

// Staff tokens of the tests.
const (
	wangToken = "wang-token-0123456789"
	zhaoToken = "zhao-token-0123456789"
)

var clock = time.UnixMilli(1_732_345_678_000)

func redAlarm() alarm.Alarm {
	return alarm.Alarm{
		ID: "A0001", Rule: "panic", Severity: event.Red, Title: "一键报警", Device: "lb-0001",
		Grid: "lh-g4-07", State: alarm.Open, Count: 1, RaisedMS: 1000, EventMS: 990, Step: 0,
		NextDeadlineMS: 61_000,
		Timeline:       []alarm.Entry{{At: 1000, Kind: alarm.EntryRaised}},
	}
}

// testSite is the registry of the tests: wang (security room) serves
// both roots, so sees the whole site; zhao (command centre) serves
// lianhua; li (grid member) serves lh-g4-07 and logs in with
// liPassword; ma (grid member) serves lh-g4-08.
const testSite = `
grids:
  - {id: lianhua,  name: 莲花社区,     level: 3}
  - {id: lh-g4-07, name: 莲花四级网格7, level: 4, parent: lianhua}
  - {id: lh-g4-08, name: 莲花四级网格8, level: 4, parent: lianhua}
  - {id: g1,       name: 一号网格,     level: 3}
staff:
  - {id: wang, name: 王监控, role: security_room,  grids: [lianhua, g1]}
  - {id: zhao, name: 赵指挥, role: command_center, grids: [lianhua]}
  - {id: li,   name: 李网格, role: grid_member,    grids: [lh-g4-07], password_hash: "` + liHash + `"}
  - {id: ma,   name: 马网格, role: grid_member,    grids: [lh-g4-08], password_hash: "` + liHash + `"}
`

// liPassword is li's (and ma's) password; liHash its argon2id hash at
// the cheapest parameters passwd accepts, to keep the tests quick.
const (
	liPassword = "li-secret-password"
	liHash     = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0$cQsZDPhFd8q68AhAQ2dYaHHDK6BIKU7gDkcARlYXz0U"
)

func testRegistry() *registry.Registry {
	reg, err := registry.Parse("site.yaml", []byte(testSite))
	if err != nil {
		panic(err)
	}
	return reg
}

// testConfig is an auth-on config around desk; mod changes it.
func testConfig(desk Alarms, mod func(*Config)) Config {
	reg := testRegistry()
	cfg := Config{
		Registry: func() *registry.Registry { return reg },
		Auth:     true,
		Tokens:   map[string]string{"wang": wangToken, "zhao": zhaoToken},
		Alarms:   desk,
		Devices:  fakeDevices{{ID: "lb-0001", State: devices.Online}},
		Now:      func() time.Time { return clock },
		Loopback: true,
		ErrorStatus: ErrorStatuses(map[error]int{
			errNotFound: http.StatusNotFound, errForbidden: http.StatusForbidden,
		}),
	}
	if mod != nil {
		mod(&cfg)
	}
	return cfg
}

func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.NewRegistry()
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// call makes one request to h and returns the status and body.
func call(t *testing.T, h http.Handler, method, target, token, contentType, body string) (int, string, http.Header) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Host = "localhost" // as a browser on the gateway itself would send
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b), rec.Header()
}

func permitStaff(id string) permit.Caller { return permit.Staff(id) }
