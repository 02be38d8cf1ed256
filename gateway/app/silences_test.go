package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// silenceCall sends a request to the silences API (auth off: the body or
// the query names who acts) and returns the status and body.
func silenceCall(s *site, method, path, body string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSilencesOutliveTheRulesState: the security room silences one box
// for maintenance and puts another in an installer's test mode; then the
// rules' snapshot (rules.state) is damaged, or lost, while the gateway is
// down. Both silences are still in force after the start — listed, and
// muting: the presses are recorded and page nobody — because they are
// stored in the alarm store when set, not in the snapshot.
func TestSilencesOutliveTheRulesState(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"damaged", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("{\"k\":\"gridwatch.rules.state\",\"v\":1}\n{not json\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"lost", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSite(t, siteOptions{})
			until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
			for _, body := range []string{
				`{"id":"maint-lb-0001","reason":"灯箱检修","devices":["lb-0001"],"until":"` + until + `","by":"room1"}`,
				`{"id":"install-lb-0002","reason":"安装调试","devices":["lb-0002"],"test":true,"by":"room1"}`,
			} {
				if code, resp := silenceCall(s, "POST", "/api/v1/silences", body); code != http.StatusCreated {
					t.Fatalf("set silence: %d %s", code, resp)
				}
			}
			s.stop()
			state := filepath.Join(s.cfg.DataDir, "rules.state")
			if _, err := os.Stat(state); err != nil {
				t.Fatalf("no rules.state at stop: %v", err)
			}
			tc.damage(t, state)
			s.start()

			code, body := silenceCall(s, "GET", "/api/v1/silences", "")
			if code != http.StatusOK || !strings.Contains(body, "maint-lb-0001") || !strings.Contains(body, "install-lb-0002") {
				t.Fatalf("silences after the start: %d %s, want both", code, body)
			}
			phones := s.phones("wang", "chen")
			for i, dev := range []string{"lb-0001", "lb-0002", "lb-0003"} {
				box := s.client(dev, true, nil)
				s.press(box, dev, i+1)
				box.Disconnect(0)
			}
			// lb-0003 (chen's cell, not silenced) is pressed last: once chen
			// is paged the two presses before it have been decided.
			testsvc.Eventually(t, wait, "the unsilenced press pages chen", func() bool { return len(phones["chen"].all()) > 0 })
			if got := phones["wang"].all(); len(got) != 0 {
				t.Fatalf("wang was paged for presses on silenced boxes: %+v", got)
			}
			var list struct{ Alarms []alarm.Alarm }
			code, body = silenceCall(s, "GET", "/api/v1/alarms?state=all", "")
			if code != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil {
				t.Fatalf("alarms: %d %s", code, body)
			}
			got := map[string]alarm.Alarm{}
			for _, a := range list.Alarms {
				got[a.Device] = a
			}
			if a := got["lb-0001"]; a.Muted != "silenced: 灯箱检修" {
				t.Errorf("lb-0001's press: %+v, want recorded and muted by the maintenance window", a)
			}
			if a := got["lb-0002"]; !a.Test {
				t.Errorf("lb-0002's press: %+v, want a test alarm", a)
			}
		})
	}
}
