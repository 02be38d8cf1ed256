package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

const burstRules = `rules:
  - id: access_denied_burst
    types: [access.denied]
    count: {at_least: 5, within: 60s, by: device}
    severity: orange
    title: "{{device}} 60秒内5次刷卡被拒"
`

// TestKill9KeepsTheCountWindow: SIGHUP reloads the rule file (a new rule
// shows in the API) and the rules' state is snapshotted; two more denied
// cards come after the snapshot; kill -9. After the restart the window
// holds all four — the snapshot's two and the two the journal replays on
// top, none twice — so the fifth card raises the one orange alarm.
func TestKill9KeepsTheCountWindow(t *testing.T) {
	d := newDaemon(t)
	d.writeRegistry(registryYAML + "  - {id: rd-0001, kind: reader, grid: lh-g4-07, name: 莲花路12号门禁}\n")
	rulesPath := filepath.Join(d.dir, "rules.yaml")
	writeFile(t, rulesPath, burstRules)
	d.addConfig("rules: rules.yaml\n")

	gw := d.start()
	rd := d.connect("rd-0001")
	deny := func(n int) {
		t.Helper()
		tok := rd.Publish("gridwatch/v1/dev/rd-0001/evt", 1, false, fmt.Appendf(nil,
			`{"type":"access.denied","ts":%d,"seq":%d,"data":{"card":"%d","reason":"unknown_card"}}`, time.Now().UnixMilli(), n, n))
		if !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
			t.Fatalf("denied card %d: no PUBACK: %v", n, tok.Error())
		}
	}
	deny(1)
	deny(2)

	state := filepath.Join(d.dir, "data", "rules.state")
	writeFile(t, rulesPath, burstRules+"  - {id: door_forced, types: [door.forced], severity: orange, title: \"{{device}} 门被强行打开\"}\n")
	if err := gw.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testsvc.Eventually(t, 30*time.Second, "door_forced loaded after SIGHUP", func() bool {
		var set struct{ Rules []string }
		return d.getJSON("/api/v1/rules", &set) && slices.Contains(set.Rules, "door_forced")
	})
	testsvc.Eventually(t, 30*time.Second, "rule state snapshot after the reload", func() bool {
		_, err := os.Stat(state)
		return err == nil
	})
	deny(3)
	deny(4)
	rd.Disconnect(0)
	if err := gw.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = gw.Process.Wait()

	d.start()
	rd = d.connect("rd-0001")
	bursts := func() int {
		var list struct{ Alarms []alarm.Alarm }
		if !d.getJSON("/api/v1/alarms?state=all", &list) {
			return -1
		}
		n := 0
		for _, a := range list.Alarms {
			if a.Rule == "access_denied_burst" {
				n++
			}
		}
		return n
	}
	if n := bursts(); n != 0 {
		t.Fatalf("%d brute-force alarms after four denied cards and a restart; want none (counted twice?)", n)
	}
	deny(5)
	testsvc.Eventually(t, 30*time.Second, "the fifth denied card raises the alarm", func() bool { return bursts() == 1 })
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (d *daemon) connect(id string) paho.Client {
	d.t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + d.mqttAddr).SetClientID(id).SetConnectTimeout(5 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		d.t.Fatalf("connect %s: %v", id, tok.Error())
	}
	d.t.Cleanup(func() { c.Disconnect(0) })
	return c
}

func (d *daemon) getJSON(path string, v any) bool {
	resp, err := http.Get("http://" + d.httpAddr + path)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(v) == nil
}
