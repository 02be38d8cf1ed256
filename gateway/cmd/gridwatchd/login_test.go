package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// loginSite has two block grids of lianhua, a grid member and a light box
// in each; wang and ma log in with the password_hash of their registry
// entry, the admin with one of http.users.
const loginSite = `
grids:
  - {id: lianhua,  name: 莲花社区,     level: 3}
  - {id: lh-g4-07, name: 莲花四级网格7, level: 4, parent: lianhua}
  - {id: lh-g4-08, name: 莲花四级网格8, level: 4, parent: lianhua}
staff:
  - {id: wang,  name: 王芳, role: grid_member, grids: [lh-g4-07], password_hash: "%[1]s"}
  - {id: ma,    name: 马丽, role: grid_member, grids: [lh-g4-08], password_hash: "%[1]s"}
  - {id: room1, name: 莲花监控室, role: security_room, grids: [lianhua]}
devices:
  - {id: lb-0007, kind: lightbox, grid: lh-g4-07, name: 莲花路7号}
  - {id: lb-0008, kind: lightbox, grid: lh-g4-08, name: 莲花路8号}
`

const staffPassword = "wang-and-ma-pw"

// loginGateway is a real gridwatchd with auth on, no bearer tokens, and
// two open red alarms: one in wang's cell, one in ma's.
type loginGateway struct {
	base     string
	mqttAddr string
	mine     string // the alarm of lb-0007 (lh-g4-07, wang's)
	theirs   string // the alarm of lb-0008 (lh-g4-08, ma's)
	gw       *testsvc.Gateway
}

func startLoginGateway(t *testing.T) *loginGateway {
	t.Helper()
	dir := t.TempDir()
	bin, err := testsvc.BuildGridwatchd(dir)
	if err != nil {
		t.Fatal(err)
	}
	hash := hashWith(t, bin, staffPassword)
	if err := os.WriteFile(filepath.Join(dir, "registry.yaml"), []byte(fmt.Sprintf(loginSite, hash)), 0o600); err != nil {
		t.Fatal(err)
	}
	httpAddr := "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
	lg := &loginGateway{base: "http://" + httpAddr, mqttAddr: "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))}
	cfg := fmt.Sprintf(`site: lianhua
data_dir: data
registry: registry.yaml
http:
  listen: %q
  users:
    admin: {role: admin, password_hash: %q}
mqtt: {embedded: {listen: %q}}
`, httpAddr, hashWith(t, bin, "admin-pw"), lg.mqttAddr)
	cfgPath := filepath.Join(dir, "gridwatch.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	lg.gw = testsvc.Gridwatchd(t, bin, cfgPath, httpAddr)
	lg.gw.Start()

	pressBox(t, lg.mqttAddr, "lb-0007")
	pressBox(t, lg.mqttAddr, "lb-0008")
	admin := newBrowser(t, lg.base)
	admin.login("admin", "admin-pw")
	testsvc.Eventually(t, 20*time.Second, "both alarms raised", func() bool {
		var list struct{ Alarms []alarm.Alarm }
		admin.getJSON("/api/v1/alarms", &list)
		for _, a := range list.Alarms {
			switch a.Device {
			case "lb-0007":
				lg.mine = a.ID
			case "lb-0008":
				lg.theirs = a.ID
			}
		}
		return lg.mine != "" && lg.theirs != ""
	})
	return lg
}

// hashWith runs `gridwatchd passwd` as an installer would.
func hashWith(t *testing.T, bin, password string) string {
	t.Helper()
	cmd := exec.Command(bin, "passwd")
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gridwatchd passwd: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func pressBox(t *testing.T, broker, dev string) {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + broker).SetClientID(dev).SetAutoReconnect(false))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", dev, tok.Error())
	}
	defer c.Disconnect(0)
	tok := c.Publish("gridwatch/v1/dev/"+dev+"/evt", 1, false, fmt.Sprintf(`{"type":"button.pressed","seq":1,"ts":%d}`, time.Now().UnixMilli()))
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("press %s: no PUBACK: %v", dev, tok.Error())
	}
}

// browser is an HTTP client with a cookie jar, as a browser session is.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

func (b *browser) do(method, path, body string, csrf bool) (int, string) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if csrf {
		req.Header.Set("X-CSRF-Token", b.csrf)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func (b *browser) login(user, password string) {
	b.t.Helper()
	code, body := b.do("POST", "/api/v1/session", fmt.Sprintf(`{"user":%q,"password":%q}`, user, password), false)
	var who struct {
		CSRF string `json:"csrf_token"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &who) != nil || who.CSRF == "" {
		b.t.Fatalf("login %s: %d %s", user, code, body)
	}
	b.csrf = who.CSRF
}

func (b *browser) getJSON(path string, v any) {
	b.t.Helper()
	code, body := b.do("GET", path, "", false)
	if code != 200 || json.Unmarshal([]byte(body), v) != nil {
		b.t.Fatalf("GET %s: %d %s", path, code, body)
	}
}

// TestGridMemberLogsInAndActsOnTheirCell is the login end to end through
// a real gateway: the grid member wang logs in with the password of his
// registry entry, sees only his cell's alarm, acknowledges it (the
// timeline names him, from the session, not from the body), is refused
// ma's alarm (403, audited and counted), and after logout the session is
// gone; a restart of the gateway ends every session (they live in memory).
func TestGridMemberLogsInAndActsOnTheirCell(t *testing.T) {
	lg := startLoginGateway(t)
	wang := newBrowser(t, lg.base)
	if code, _ := wang.do("GET", "/api/v1/alarms", "", false); code != 401 {
		t.Fatalf("before login: %d, want 401", code)
	}
	wang.login("wang", staffPassword)

	var list struct{ Alarms []alarm.Alarm }
	wang.getJSON("/api/v1/alarms", &list)
	if len(list.Alarms) != 1 || list.Alarms[0].ID != lg.mine {
		t.Errorf("wang's alarms: %+v; want only %s of his cell", list.Alarms, lg.mine)
	}
	if code, body := wang.do("POST", "/api/v1/alarms/"+lg.mine+"/ack", `{"note":"on my way"}`, false); code != 403 {
		t.Errorf("ack without the CSRF token: %d %s, want 403", code, body)
	}
	code, body := wang.do("POST", "/api/v1/alarms/"+lg.mine+"/ack", `{"note":"on my way"}`, true)
	var acked alarm.Alarm
	if code != 200 || json.Unmarshal([]byte(body), &acked) != nil || acked.State != alarm.Acknowledged {
		t.Fatalf("wang acks his cell's alarm: %d %s", code, body)
	}
	if by := lastActor(acked); by != "wang" {
		t.Errorf("the ack is by %q, want wang (the session's user)", by)
	}
	if code, body := wang.do("POST", "/api/v1/alarms/"+lg.theirs+"/ack", `{"note":"not mine"}`, true); code != 403 {
		t.Errorf("wang acks ma's alarm: %d %s, want 403", code, body)
	}
	if code, body := wang.do("GET", "/api/v1/alarms/"+lg.theirs, "", false); code != 403 {
		t.Errorf("wang reads ma's alarm: %d %s, want 403", code, body)
	}
	_, metrics := wang.do("GET", "/metrics", "", false)
	if !strings.Contains(metrics, `gridwatch_http_refused_total{reason="forbidden"} 2`) ||
		!strings.Contains(metrics, `gridwatch_http_refused_total{reason="csrf"} 1`) {
		t.Errorf("refusals not counted:\n%s", grepLines(metrics, "gridwatch_http_refused_total"))
	}
	testsvc.Eventually(t, 10*time.Second, "audit lines in the gateway's log", func() bool {
		out := lg.gw.LastOutput()
		// One line per reason and address per 10 s; the rest are counted.
		return strings.Contains(out, `audit=true reason=forbidden user=wang`) &&
			strings.Contains(out, `audit=true reason=csrf user=wang`)
	})

	if code, _ := wang.do("DELETE", "/api/v1/session", "", true); code != 204 {
		t.Fatalf("logout: %d", code)
	}
	if code, _ := wang.do("GET", "/api/v1/alarms", "", false); code != 401 {
		t.Errorf("after logout: %d, want 401", code)
	}

	// Sessions are kept in memory: a restart logs everyone out.
	wang.login("wang", staffPassword)
	lg.gw.Stop()
	lg.gw.Start()
	if code, body := wang.do("GET", "/api/v1/session", "", false); code != 401 || !strings.Contains(body, "gateway restarted") {
		t.Errorf("a session from before the restart: %d %s, want 401", code, body)
	}
}

func lastActor(a alarm.Alarm) string {
	by := ""
	for _, e := range a.Timeline {
		if e.Kind == alarm.EntryAck {
			by = e.By
		}
	}
	return by
}

func grepLines(s, word string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
