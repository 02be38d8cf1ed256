package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// readerRegistry is the test site with a card reader.
const readerRegistry = siteRegistry + "  - {id: rd-0001, kind: reader, grid: lh-g4-07, name: 莲花路12号门禁}\n"

// withRuleFile gives the site a rule file (so it can be reloaded) and a
// card reader.
func withRuleFile(t *testing.T, extra string) func(*config.Config) {
	return func(cfg *config.Config) {
		dir := filepath.Dir(cfg.Registry)
		if err := os.WriteFile(cfg.Registry, []byte(readerRegistry), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg.Rules = filepath.Join(dir, "rules.yaml")
		writeRules(t, cfg.Rules, extra)
	}
}

// writeRules writes the brute-force and panic rules as a site would,
// plus whatever a step of the test adds (from line 11).
func writeRules(t *testing.T, path, extra string) {
	t.Helper()
	body := `rules:
  - id: access_denied_burst
    types: [access.denied]
    count: {at_least: 5, within: 60s, by: device}
    severity: orange
    title: "{{device}} 60秒内5次刷卡被拒"
  - id: panic
    types: [button.pressed]
    severity: red
    title: "{{device}} 一键报警"
` + extra
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (s *site) deny(c paho.Client, card int) {
	s.t.Helper()
	s.publish(c, s.topics.Event("rd-0001"), fmt.Appendf(nil, `{"type":"access.denied","ts":%d,"seq":%d,"data":{"card":"%d","reason":"unknown_card"}}`,
		time.Now().UnixMilli(), card, card))
}

// bursts lists the brute-force alarms on the reader.
func (s *site) bursts() []alarm.Alarm {
	var list struct{ Alarms []alarm.Alarm }
	s.getJSON("/api/v1/alarms?state=all", &list)
	var out []alarm.Alarm
	for _, a := range list.Alarms {
		if a.Rule == rulefile.RuleDeniedBurst && a.Device == "rd-0001" {
			out = append(out, a)
		}
	}
	return out
}

// TestCountWindowSurvivesReloadAndRestart: five denied cards within 60 s
// on one reader raise one orange alarm, even when the rules are reloaded
// (over the API, with a rule added) and the gateway restarted between the
// swipes: the window of the unchanged rule carries over both.
func TestCountWindowSurvivesReloadAndRestart(t *testing.T) {
	s := startSite(t, siteOptions{mutate: withRuleFile(t, "")})
	rd := s.client("rd-0001", true, nil)
	s.deny(rd, 1)
	s.deny(rd, 2)

	writeRules(t, s.cfg.Rules, "  - {id: door_forced, types: [door.forced], severity: orange, title: \"{{device}} 门被强行打开\"}\n")
	code, body := s.post("/api/v1/rules/reload", `{"by":"room1"}`)
	if code != http.StatusOK || !strings.Contains(body, "door_forced") {
		t.Fatalf("reload: %d %s", code, body)
	}
	s.deny(rd, 3)

	rd.Disconnect(0)
	s.stop()
	s.start()
	rd = s.client("rd-0001", true, nil)
	s.deny(rd, 4)
	time.Sleep(300 * time.Millisecond) // a fifth-swipe alarm now would be a double count
	if n := len(s.bursts()); n != 0 {
		t.Fatalf("%d brute-force alarms after four denied cards; want none", n)
	}
	s.deny(rd, 5)
	testsvc.Eventually(t, wait, "one orange alarm on the fifth denied card", func() bool { return len(s.bursts()) == 1 })
	if a := s.bursts()[0]; a.Severity != event.Orange {
		t.Errorf("severity %s, want orange", a.Severity)
	}
	s.deny(rd, 6) // the window starts afresh after firing
	time.Sleep(300 * time.Millisecond)
	if n := len(s.bursts()); n != 1 {
		t.Errorf("%d brute-force alarms after a sixth card; want still one", n)
	}
}

// TestBadRuleReloadKeepsTheRunningRules: a reload of a broken file, or of
// one whose own test case fails, is refused with every problem; the
// running rules stay in force and keep their state.
func TestBadRuleReloadKeepsTheRunningRules(t *testing.T) {
	s := startSite(t, siteOptions{mutate: withRuleFile(t, "")})
	rd := s.client("rd-0001", true, nil)
	for i := 1; i <= 3; i++ {
		s.deny(rd, i)
	}

	writeRules(t, s.cfg.Rules, "  - {id: x, types: [door.forced], severity: purple, title: x}\n  - {id: y, types: [door.forced], count: {at_least: 0, within: 1m, by: device}, severity: red, title: y}\n")
	code, body := s.post("/api/v1/rules/reload", `{"by":"room1"}`)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("bad file: %d %s, want 422", code, body)
	}
	for _, want := range []string{"rules.yaml:11", "purple", "rules.yaml:12"} {
		if !strings.Contains(body, want) {
			t.Errorf("refusal lacks %q: %s", want, body)
		}
	}

	writeRules(t, s.cfg.Rules, `tests:
  - name: a press is orange
    events: [{at: 0s, device: lb-0001, type: button.pressed}]
    expect: [{rule: panic, device: lb-0001, severity: orange}]
`)
	code, body = s.post("/api/v1/rules/reload", `{"by":"room1"}`)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "a press is orange") {
		t.Fatalf("file with a failing test case: %d %s, want 422 naming the case", code, body)
	}

	s.deny(rd, 4)
	s.deny(rd, 5)
	testsvc.Eventually(t, wait, "the running rules counted on", func() bool { return len(s.bursts()) == 1 })

	var audit struct{ Records []alarm.AuditRecord }
	s.getJSON("/api/v1/audit", &audit)
	refused := 0
	for _, r := range audit.Records {
		if r.Kind == alarm.AuditRules && strings.HasPrefix(r.Reason, "refused") {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("%d refused reloads in the audit log, want 2: %+v", refused, audit.Records)
	}
}

// call sends an API request with a bearer token and returns the status
// and body.
func (s *site) call(method, path, token, body string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestInstallerTestModeOverTheAPI: the security room puts a box in test
// mode; its press is recorded as a test alarm and pages nobody, the
// silence survives a restart, and once it is removed a press pages again.
// A grid member may not set silences, and the security room may not
// silence a cell it does not serve; both refusals are audited.
func TestInstallerTestModeOverTheAPI(t *testing.T) {
	tokens := map[string]string{"room1": "room1-token-0123456789", "wang": "wang-token-0123456789", "cmd1": "cmd1-token-0123456789"}
	s := startSite(t, siteOptions{mutate: func(cfg *config.Config) {
		yes := true
		cfg.HTTP.Auth, cfg.HTTP.Tokens = &yes, tokens
	}})
	phones := s.phones("wang")
	box := s.client("lb-0001", true, nil)

	silence := `{"id":"install-lb-0001","reason":"安装调试","devices":["lb-0001"],"test":true,"until":"` +
		time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `"}`
	if code, body := s.call("POST", "/api/v1/silences", tokens["wang"], silence); code != http.StatusForbidden {
		t.Fatalf("grid member set a silence: %d %s", code, body)
	}
	if code, body := s.call("POST", "/api/v1/silences", tokens["room1"], `{"id":"all","reason":"x","rules":["panic"]}`); code != http.StatusForbidden ||
		!strings.Contains(body, "whole site") {
		t.Fatalf("security room of lianhua silenced the whole site: %d %s", code, body)
	}
	if code, body := s.call("POST", "/api/v1/silences", tokens["room1"], `{"id":"bad","reason":"x","devices":["lb-0001"],"every":{"from":"25:00","until":"04:00"}}`); code != http.StatusBadRequest ||
		!strings.Contains(body, "25:00") {
		t.Fatalf("bad silence: %d %s, want 400 naming the bad time", code, body)
	}
	code, body := s.call("POST", "/api/v1/silences", tokens["room1"], silence)
	if code != http.StatusCreated || !strings.Contains(body, `"by":"room1"`) {
		t.Fatalf("set silence: %d %s", code, body)
	}

	s.press(box, "lb-0001", 1)
	var test alarm.Alarm
	testsvc.Eventually(t, wait, "a test alarm is recorded", func() bool {
		code, body := s.call("GET", "/api/v1/alarms?state=all", tokens["room1"], "")
		var list struct{ Alarms []alarm.Alarm }
		if code != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil {
			return false
		}
		for _, a := range list.Alarms {
			if a.Device == "lb-0001" {
				test = a
				return true
			}
		}
		return false
	})
	if !test.Test {
		t.Errorf("the press in test mode made a real alarm: %+v", test)
	}

	box.Disconnect(0)
	s.stop()
	s.start()
	code, body = s.call("GET", "/api/v1/silences", tokens["room1"], "")
	if code != http.StatusOK || !strings.Contains(body, "install-lb-0001") {
		t.Fatalf("silence lost in the restart: %d %s", code, body)
	}
	if code, body := s.call("DELETE", "/api/v1/silences/install-lb-0001", tokens["room1"], ""); code != http.StatusNoContent {
		t.Fatalf("remove silence: %d %s", code, body)
	}
	if code, _ := s.call("DELETE", "/api/v1/silences/install-lb-0001", tokens["room1"], ""); code != http.StatusNotFound {
		t.Errorf("second remove: %d, want 404", code)
	}
	if got := phones["wang"].all(); len(got) != 0 {
		t.Errorf("wang was paged for a test press: %+v", got)
	}
	phones = s.phones("wang")
	box = s.client("lb-0001", true, nil)
	s.press(box, "lb-0001", 2)
	testsvc.Eventually(t, wait, "a real press pages the grid member again", func() bool { return len(phones["wang"].all()) > 0 })

	code, body = s.call("GET", "/api/v1/audit", tokens["cmd1"], "")
	var audit struct{ Records []alarm.AuditRecord }
	if code != http.StatusOK || json.Unmarshal([]byte(body), &audit) != nil {
		t.Fatalf("audit: %d %s", code, body)
	}
	kinds := map[string]int{}
	for _, r := range audit.Records {
		kinds[string(r.Kind)+" "+r.By]++
	}
	if kinds["refused wang"] != 1 || kinds["refused room1"] != 1 || kinds["silence room1"] != 2 {
		t.Errorf("audit log %v, want one refusal each for wang and room1 and two silence records of room1", kinds)
	}
}
