package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

const registryYAML = `
grids:
  - {id: lianhua,  name: 莲花社区, level: 3}
  - {id: lh-g4-07, name: 莲花四级网格7, level: 4, parent: lianhua}
staff:
  - {id: wang,  name: 王芳, role: grid_member, grids: [lh-g4-07]}
  - {id: room1, name: 莲花监控室, role: security_room, grids: [lianhua]}
devices:
  - {id: lb-0001, kind: lightbox, grid: lh-g4-07, name: 莲花路12号}
`

// TestKill9AfterPubackKeepsTheAlarm is SPEC.md's "accepted means durable":
// a press the device saw acknowledged survives a kill -9 of the gateway
// straight after the PUBACK, and the alarm is open after the restart.
func TestKill9AfterPubackKeepsTheAlarm(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "gridwatchd")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	mqttAddr := "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
	httpAddr := "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
	if err := os.WriteFile(filepath.Join(dir, "registry.yaml"), []byte(registryYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("site: lianhua\ndata_dir: data\nregistry: registry.yaml\nhttp: {listen: %q, auth: false}\nmqtt: {embedded: {listen: %q}}\n", httpAddr, mqttAddr)
	cfgPath := filepath.Join(dir, "gridwatch.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "gridwatchd.log"))
			t.Logf("gridwatchd log:\n%s", b)
		}
	})
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "-config", cfgPath)
		logf, err := os.OpenFile(filepath.Join(dir, "gridwatchd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer logf.Close()
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
		testsvc.Eventually(t, 30*time.Second, "gridwatchd ready", func() bool {
			resp, err := http.Get("http://" + httpAddr + "/readyz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == 200
		})
		return cmd
	}

	gw := start()
	dev := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + mqttAddr).SetClientID("lb-0001").SetAutoReconnect(false))
	if tok := dev.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	tok := dev.Publish("gridwatch/v1/dev/lb-0001/evt", 1, false, fmt.Sprintf(`{"type":"button.pressed","seq":1,"ts":%d}`, time.Now().UnixMilli()))
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("no PUBACK: %v", tok.Error())
	}
	if err := gw.Process.Kill(); err != nil { // SIGKILL, straight after the PUBACK
		t.Fatal(err)
	}
	_, _ = gw.Process.Wait()
	dev.Disconnect(0)

	start()
	var open struct{ Alarms []alarm.Alarm }
	testsvc.Eventually(t, 30*time.Second, "alarm open after restart", func() bool {
		resp, err := http.Get("http://" + httpAddr + "/api/v1/alarms?state=open")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		if json.NewDecoder(resp.Body).Decode(&open) != nil {
			return false
		}
		return len(open.Alarms) == 1
	})
	if a := open.Alarms[0]; a.Device != "lb-0001" || a.State != alarm.Open {
		t.Errorf("after restart: %+v", a)
	}
}
