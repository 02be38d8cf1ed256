// Package scripts holds the tests of the repository's shell scripts.
package scripts

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// fake is a stand-in program: it records its pid under $FAKE_PIDS/NAME and
// becomes a sleep, which (like a simulator waiting for pages) never writes
// a line, so nothing but a signal ends it.
const fake = `#!/bin/sh
echo $$ >> "$FAKE_PIDS/$(basename "$0")"
exec sleep 300
`

// TestDemoStopsItsSimulatorsOnTERM runs scripts/demo.sh with stand-ins for
// go, gridwatchd and gridsim, sends the script a TERM once every simulator
// runs, and checks that the script ends and that no gateway or simulator
// outlives it.
func TestDemoStopsItsSimulatorsOnTERM(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	root := t.TempDir()
	pids := filepath.Join(root, "pids")
	for _, d := range []string{"scripts", "bin", "fakebin", "pids", "deploy/demo"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script, err := os.ReadFile("demo.sh")
	if err != nil {
		t.Fatal(err)
	}
	writeExec(t, filepath.Join(root, "scripts", "demo.sh"), string(script))
	writeExec(t, filepath.Join(root, "fakebin", "go"), "#!/bin/sh\nexit 0\n") // the binaries are there
	writeExec(t, filepath.Join(root, "bin", "gridwatchd"), fake)
	writeExec(t, filepath.Join(root, "bin", "gridsim"), fake)
	// The stand-in gateway serves nothing: the script's wait for its HTTP
	// port runs out (10 s) and it goes on. (Listening on the demo's fixed
	// port here could disturb another test that uses it.)

	cmd := exec.Command("bash", filepath.Join(root, "scripts", "demo.sh"))
	cmd.Env = append(os.Environ(), "PATH="+filepath.Join(root, "fakebin")+":"+os.Getenv("PATH"), "FAKE_PIDS="+pids)
	// A file, not a pipe: Wait then returns when the script ends, even if
	// something it started still holds its output open.
	out, err := os.Create(filepath.Join(root, "demo.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	t.Cleanup(func() {
		if b, err := os.ReadFile(out.Name()); err == nil && t.Failed() {
			t.Logf("demo.sh said:\n%s", b)
		}
	})
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var started []int
	t.Cleanup(func() { // never leave a stand-in behind, whatever failed
		for _, p := range recorded(t, pids) {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		_ = cmd.Process.Kill()
	})

	testsvc.Eventually(t, 60*time.Second, "the gateway and five simulators running", func() bool {
		started = recorded(t, pids)
		return len(started) == 6
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("demo.sh: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("demo.sh still running 60 s after TERM")
	}
	testsvc.Eventually(t, 30*time.Second, "no gateway or simulator left after demo.sh ended", func() bool {
		for _, p := range started {
			if alive(p) {
				return false
			}
		}
		return true
	})
}

func writeExec(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// recorded is every pid the stand-ins wrote.
func recorded(t *testing.T, dir string) []int {
	var out []int
	for _, name := range []string{"gridwatchd", "gridsim"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if p, err := strconv.Atoi(f); err == nil {
				out = append(out, p)
			}
		}
	}
	return out
}

// alive reports whether pid runs (a zombie waiting for its reaper does not).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z")
}
