package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testlog"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

const loginPatience = 30 * time.Second // generous: the machine may be busy

// realGateway builds and runs gridwatchd with its embedded broker on
// loopback, anonymous logins off, every device and staff member with a
// password_hash in the registry, and the config user "gridsim" (a shared
// login, as the example config once had). It returns the broker URL, the
// HTTP base URL and a credentials file for gridsim -login self. bin is
// the gridwatchd binary (buildGridwatchd).
func realGateway(t *testing.T, bin string) (brokerURL, base, creds string) {
	t.Helper()
	dir := t.TempDir()
	hash := func(pw string) string {
		cmd := exec.Command(bin, "passwd")
		cmd.Stdin = strings.NewReader(pw + "\n")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gridwatchd passwd: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	pw := map[string]string{"lb-0001": "pw-lb-0001", "lb-0002": "pw-lb-0002", "wang": "pw-wang"}
	registry := fmt.Sprintf(`
grids:
  - {id: lianhua,  name: Lianhua, level: 3}
  - {id: lh-g4-07, name: Lianhua 4-7, level: 4, parent: lianhua}
staff:
  - {id: wang,  name: Wang, role: grid_member, grids: [lh-g4-07], password_hash: %q}
  - {id: room1, name: Room, role: security_room, grids: [lianhua]}
devices:
  - {id: lb-0001, kind: lightbox, grid: lh-g4-07, password_hash: %q}
  - {id: lb-0002, kind: lightbox, grid: lh-g4-07, password_hash: %q}
`, hash(pw["wang"]), hash(pw["lb-0001"]), hash(pw["lb-0002"]))
	mqttAddr := "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
	httpAddr := "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
	cfg := fmt.Sprintf(`site: lianhua
data_dir: data
registry: registry.yaml
http: {listen: %q, auth: false}
mqtt:
  topic_root: %s
  embedded:
    listen: %q
    allow_anonymous: false
    users: {gridsim: {password_hash: %q}}
`, httpAddr, root, mqttAddr, hash("pw-shared"))
	creds = filepath.Join(dir, "credentials")
	var cl strings.Builder
	cl.WriteString("# id password\n")
	for id, p := range pw {
		fmt.Fprintf(&cl, "%s %s\n", id, p)
	}
	for name, body := range map[string]string{"registry.yaml": registry, "gridwatch.yaml": cfg, "credentials": cl.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	logf, err := os.Create(filepath.Join(dir, "gridwatchd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "-config", "gridwatch.yaml")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "gridwatchd.log"))
			t.Logf("gridwatchd log:\n%s", b)
		}
	})
	base = "http://" + httpAddr
	testsvc.Eventually(t, loginPatience, "gridwatchd ready", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return "tcp://" + mqttAddr, base, creds
}

// buildGridwatchd builds the gateway's binary for this test.
func buildGridwatchd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gridwatchd")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/gridwatch/gridwatch/gateway/cmd/gridwatchd").CombinedOutput(); err != nil {
		t.Fatalf("build gridwatchd: %v\n%s", err, out)
	}
	return bin
}

// TestPerIDLogins runs gridsim against the real gateway's embedded broker
// with anonymous logins off. With one shared login (-username) a phone
// cannot subscribe to its notifications and a press raises nothing: the
// per-id ACLs refuse them. With -login self -credentials each device and
// phone logs in as its own id: a press pages the phone, a scenario passes
// and a fleet comes online. Each case has a gateway of its own: the shared login's phone
// session holds the client id phone-wang, which the broker then refuses to
// wang himself (a client id is bound to the user that holds it).
func TestPerIDLogins(t *testing.T) {
	bin := buildGridwatchd(t)
	rootFlag := "-root=" + root

	// gridsim phone wang runs until its context ends; its output says
	// whether it got to listen, and what it was paged.
	phoneRun := func(br string, args ...string) (out, errOut *testlog.Buffer, stop func()) {
		out, errOut = &testlog.Buffer{}, &testlog.Buffer{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		go func() { done <- Main(ctx, append([]string{"phone", "wang", br, rootFlag}, args...), out, errOut) }()
		return out, errOut, func() { cancel(); <-done }
	}

	t.Run("shared login is refused", func(t *testing.T) {
		brokerURL, base, _ := realGateway(t, bin)
		br := "-broker=" + brokerURL
		_, errOut, stop := phoneRun(br, "-username=gridsim", "-password=pw-shared")
		defer stop()
		testsvc.Eventually(t, loginPatience, "the phone's subscription refused", func() bool {
			return strings.Contains(errOut.String(), "subscribe failed")
		})
		if strings.Contains(errOut.String(), "listening") {
			t.Errorf("a phone logged in as gridsim listens on wang's notifications:\n%s", errOut)
		}
		code, _, stderr := gridsim(t, "press", "lb-0001", br, rootFlag, "-username=gridsim", "-password=pw-shared")
		if code == exitOK {
			// Acknowledged or not, nothing may come of it.
			time.Sleep(2 * time.Second)
			if a := alarms(t, base); strings.Contains(a, "lb-0001") {
				t.Errorf("a press published as gridsim raised an alarm: %s", a)
			}
		}
		t.Logf("press as gridsim: exit %d %s", code, strings.TrimSpace(stderr))
	})

	t.Run("per-id logins", func(t *testing.T) {
		brokerURL, base, creds := realGateway(t, bin)
		br := "-broker=" + brokerURL
		out, errOut, stop := phoneRun(br, "-login=self", "-credentials="+creds)
		defer stop()
		testsvc.Eventually(t, loginPatience, "phone wang listening", func() bool {
			return strings.Contains(errOut.String(), "listening")
		})
		code, stdout, stderr := gridsim(t, "press", "lb-0002", br, rootFlag, "-login=self", "-credentials="+creds)
		if code != exitOK {
			t.Fatalf("press lb-0002 as itself: exit %d\n%s%s", code, stdout, stderr)
		}
		testsvc.Eventually(t, loginPatience, "wang paged for lb-0002", func() bool {
			return strings.Contains(out.String(), "device lb-0002")
		})

		// A scenario: its phone and its device log in as themselves; the
		// device, as itself, watches its own commands (the strobe).
		if code, stdout, stderr := gridsim(t, "scenario", "testdata/strobe.yaml", br, rootFlag, "-login=self", "-credentials="+creds); code != exitOK {
			t.Errorf("scenario with -login self: exit %d\n%s%s", code, stdout, stderr)
		}

		// A fleet: every device logs in as itself, lb-0002 with its line of
		// a credentials file, lb-0001 (not in that file) with -password.
		part := filepath.Join(t.TempDir(), "credentials")
		if err := os.WriteFile(part, []byte("lb-0002\tpw-lb-0002\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var runOut, runErr testlog.Buffer
		done := make(chan int, 1)
		go func() {
			done <- Main(ctx, []string{"run", br, rootFlag, "-registry=" + filepath.Join(filepath.Dir(creds), "registry.yaml"),
				"-login=self", "-credentials=" + part, "-password=pw-lb-0001"}, &runOut, &runErr)
		}()
		defer func() { cancel(); <-done }()
		testsvc.Eventually(t, loginPatience, "both simulated devices online", func() bool {
			d := devices(t, base)
			return strings.Count(d, `"state":"online"`) >= 2
		})
	})
}

func alarms(t *testing.T, base string) string { return get(t, base+"/api/v1/alarms?state=all") }

func devices(t *testing.T, base string) string { return get(t, base+"/api/v1/devices") }

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return b.String()
}

// TestLoginFlags: contradictory login flags are usage errors, found before
// anything connects.
func TestLoginFlags(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "creds")
	if err := os.WriteFile(creds, []byte("lb-0001 pw\nlb-0001 again\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	br := "-broker=tcp://127.0.0.1:1" // nothing listens: a usage error must come first
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"press", "lb-0001", br, "-login=bogus"}, `-login "bogus": want shared or self`},
		{[]string{"press", "lb-0001", br, "-credentials=" + creds}, "-credentials needs -login self"},
		{[]string{"phone", "wang", br, "-login=self", "-username=gridsim"}, "leave out -username"},
		{[]string{"run", "-registry=testdata/registry.yaml", br, "-login=self", "-credentials=" + creds}, "lb-0001 already has a password on line 1"},
		{[]string{"bench", "-registry=testdata/registry.yaml", br, "-login=self"}, "bench publishes for many devices"},
	} {
		code, _, stderr := gridsim(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("gridsim %v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}
