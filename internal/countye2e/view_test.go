package countye2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// hallPassword is the county command centre's console password.
const hallPassword = "cmd1-county-pw"

// view is a county view process and a logged-in console session on it.
type view struct {
	t    *testing.T
	name string
	proc *testsvc.Gateway
	base string
	c    *http.Client
	csrf string
}

// countyAlarm is an alarm as the county view serves it.
type countyAlarm struct {
	ID          string        `json:"id"`
	Site        string        `json:"site"`
	SiteAlarmID string        `json:"site_alarm_id"`
	Device      string        `json:"device"`
	State       alarm.State   `json:"state"`
	Timeline    []alarm.Entry `json:"timeline"`
	LastStep    string        `json:"last_step"`
}

// newView starts `gridwatchd county` on the cluster (through the
// balancer) and logs cmd1 in.
func newView(t *testing.T, bin, name, mqttURL, hash string) *view {
	t.Helper()
	httpAddr := "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
	cfg := fmt.Sprintf(`county: qx
http: {listen: %q}
mqtt: {url: %q, username: county-view, password: %q}
reply_timeout: 15s
staff:
  - {id: cmd1, name: 县指挥中心值班员, role: command_center, password_hash: %q}
`, httpAddr, mqttURL, countyPasswords["county-view"], hash)
	path := filepath.Join(t.TempDir(), "county.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	v := &view{t: t, name: name, proc: testsvc.CountyView(t, bin, path, httpAddr), base: "http://" + httpAddr,
		c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	v.proc.Start()
	code, body := post(t, v.c, v.base+"/api/v1/session", fmt.Sprintf(`{"user":"cmd1","password":%q}`, hallPassword), "")
	var who struct {
		CSRF string `json:"csrf_token"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &who) != nil || who.CSRF == "" {
		t.Fatalf("%s: login cmd1: %d %s", name, code, body)
	}
	v.csrf = who.CSRF
	return v
}

// hashPassword asks gridwatchd for a password hash, as an operator does.
func hashPassword(t *testing.T, bin, pw string) string {
	t.Helper()
	cmd := exec.Command(bin, "passwd")
	cmd.Stdin = strings.NewReader(pw + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gridwatchd passwd: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func (v *view) get(path string, out any) int {
	v.t.Helper()
	resp, err := v.c.Get(v.base + path)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			v.t.Fatalf("%s: GET %s: %v: %s", v.name, path, err, b)
		}
	}
	return resp.StatusCode
}

// hasDevice reports whether the view lists an alarm of site's device dev.
func (v *view) hasDevice(site, dev string) bool {
	var list struct{ Alarms []countyAlarm }
	if v.get("/api/v1/alarms", &list) != 200 {
		return false
	}
	for _, a := range list.Alarms {
		if a.Site == site && a.Device == dev {
			return true
		}
	}
	return false
}

// alarm returns the view's copy of site/id, and whether it has one.
func (v *view) alarm(site, id string) (countyAlarm, bool) {
	var a countyAlarm
	code := v.get("/api/v1/alarms/"+url.PathEscape(site+"/"+id), &a)
	return a, code == 200
}

// act acknowledges (arrives, resolves) site/id from the county.
func (v *view) act(site, id, action string) (int, string) {
	v.t.Helper()
	return post(v.t, v.c, v.base+"/api/v1/alarms/"+url.PathEscape(site+"/"+id)+"/"+action, `{"note":"县指挥中心已调度"}`, v.csrf)
}

// online reports which sites the view's site health shows online.
func (v *view) online() map[string]bool {
	var s struct {
		Sites []struct {
			Site   string
			Online bool
		}
	}
	out := map[string]bool{}
	if v.get("/api/v1/county/sites", &s) == 200 {
		for _, x := range s.Sites {
			out[x.Site] = x.Online
		}
	}
	return out
}

// incomplete lists the sites whose health the view shows incomplete
// (no summary with its open list since it subscribed, or alarms that
// list names the view lacks), and any it does not know.
func (v *view) incomplete(sites []string) []string {
	var s struct {
		Sites []struct {
			Site          string
			Incomplete    bool
			MissingAlarms int `json:"missing_alarms"`
		}
	}
	if v.get("/api/v1/county/sites", &s) != 200 {
		return sites
	}
	known := map[string]bool{}
	for _, x := range s.Sites {
		known[x.Site] = !x.Incomplete && x.MissingAlarms == 0
	}
	var out []string
	for _, site := range sites {
		if !known[site] {
			out = append(out, site)
		}
	}
	return out
}
