package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/internal/testsite"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

const registryYAML = testsite.Cell + "  - {id: lb-0001, kind: lightbox, grid: lh-g4-07, name: 莲花路12号}\n"

// daemon is a gridwatchd binary with its own directory, config and ports.
type daemon struct {
	t        *testing.T
	dir      string
	bin      string
	cfgPath  string
	mqttAddr string
	httpAddr string
}

func newDaemon(t *testing.T) *daemon {
	t.Helper()
	d := &daemon{t: t, dir: t.TempDir()}
	d.bin = filepath.Join(d.dir, "gridwatchd")
	build := exec.Command("go", "build", "-o", d.bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	d.mqttAddr = "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
	d.httpAddr = "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
	d.writeRegistry(registryYAML)
	cfg := fmt.Sprintf("site: lianhua\ndata_dir: data\nregistry: registry.yaml\nhttp: {listen: %q, auth: false}\nmqtt: {embedded: {listen: %q}}\n", d.httpAddr, d.mqttAddr)
	d.cfgPath = filepath.Join(d.dir, "gridwatch.yaml")
	if err := os.WriteFile(d.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(d.dir, "gridwatchd.log"))
			t.Logf("gridwatchd log:\n%s", b)
		}
	})
	return d
}

func (d *daemon) writeRegistry(yaml string) {
	d.t.Helper()
	if err := os.WriteFile(filepath.Join(d.dir, "registry.yaml"), []byte(yaml), 0o600); err != nil {
		d.t.Fatal(err)
	}
}

// addConfig appends YAML to the daemon's config file.
func (d *daemon) addConfig(yaml string) {
	d.t.Helper()
	cfg, err := os.ReadFile(d.cfgPath)
	if err != nil {
		d.t.Fatal(err)
	}
	if err := os.WriteFile(d.cfgPath, append(cfg, yaml...), 0o600); err != nil {
		d.t.Fatal(err)
	}
}

// redSteps is an escalation policy whose red step 1 (grid leader and
// police) falls due step1 after the raise; step 2 waits an hour.
func redSteps(step1 time.Duration) string {
	return fmt.Sprintf(`escalation:
  red:
    steps:
      - {after: 0s, roles: [grid_member, security_room]}
      - {after: %s, roles: [grid_leader, police]}
      - {after: 1h, roles: [command_center]}
`, step1)
}

// start runs the daemon and waits until it is ready.
func (d *daemon) start() *exec.Cmd {
	t := d.t
	t.Helper()
	cmd := exec.Command(d.bin, "-config", d.cfgPath)
	logf, err := os.OpenFile(filepath.Join(d.dir, "gridwatchd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
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
		resp, err := http.Get("http://" + d.httpAddr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return cmd
}

// TestKill9AfterPubackKeepsTheAlarm is the contract's "accepted means durable" (docs/contract.md):
// a press the device saw acknowledged survives a kill -9 of the gateway
// straight after the PUBACK, and the alarm is open after the restart.
func TestKill9AfterPubackKeepsTheAlarm(t *testing.T) {
	d := newDaemon(t)
	mqttAddr, httpAddr, start := d.mqttAddr, d.httpAddr, d.start

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

// TestSignals: SIGHUP reloads the registry (a new device is listed), and
// SIGTERM drains and exits 0.
func TestSignals(t *testing.T) {
	d := newDaemon(t)
	gw := d.start()
	d.writeRegistry(registryYAML + "  - {id: lb-0002, kind: lightbox, grid: lh-g4-07, name: 莲花路20号}\n")
	if err := gw.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testsvc.Eventually(t, 30*time.Second, "lb-0002 listed after SIGHUP", func() bool {
		resp, err := http.Get("http://" + d.httpAddr + "/api/v1/devices")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var list struct{ Devices []struct{ ID string } }
		if json.NewDecoder(resp.Body).Decode(&list) != nil {
			return false
		}
		for _, dv := range list.Devices {
			if dv.ID == "lb-0002" {
				return true
			}
		}
		return false
	})
	if err := gw.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan *os.ProcessState, 1)
	go func() { st, _ := gw.Process.Wait(); done <- st }()
	select {
	case st := <-done:
		if st == nil || st.ExitCode() != 0 {
			t.Errorf("after SIGTERM: %v, want exit code 0", st)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("gridwatchd did not stop within 30 s of SIGTERM")
	}
}

// TestRunsWithNoConfigAtAll: `gridwatchd` with no file, in an empty
// directory, serves on the defaults (embedded broker 127.0.0.1:1883, HTTP
// 127.0.0.1:8080, ./data) and stops cleanly.
func TestRunsWithNoConfigAtAll(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:1883", "127.0.0.1:8080"} {
		if ln, err := net.Listen("tcp", addr); err != nil {
			t.Skipf("default address %s is taken on this machine (%v); the defaults cannot be tried", addr, err)
		} else {
			ln.Close()
		}
	}
	d := newDaemon(t)
	cmd := exec.Command(d.bin)
	cmd.Dir = t.TempDir()
	logf, err := os.Create(filepath.Join(d.dir, "gridwatchd.log"))
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
	testsvc.Eventually(t, 30*time.Second, "ready on the default address", func() bool {
		resp, err := http.Get("http://127.0.0.1:8080/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	if resp, err := http.Get("http://127.0.0.1:8080/api/v1/alarms"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("API with auth on and no tokens: %v %v, want 401", resp, err)
	}
	if _, err := os.Stat(filepath.Join(cmd.Dir, "data", "journal")); err != nil {
		t.Errorf("no ./data/journal: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if st, _ := cmd.Process.Wait(); st == nil || st.ExitCode() != 0 {
		t.Errorf("after SIGTERM: %v, want exit code 0", st)
	}
}
