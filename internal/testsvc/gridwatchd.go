package testsvc

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BuildGridwatchd compiles gateway/cmd/gridwatchd of this module into dir
// and returns the binary's path. Build it once per test binary (TestMain)
// and share it: a build takes tens of seconds on a busy machine.
func BuildGridwatchd(dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "gridwatchd")
	cmd := exec.Command("go", "build", "-o", bin, "./gateway/cmd/gridwatchd")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build gridwatchd: %w\n%s", err, out)
	}
	return bin, nil
}

// Gateway is a gridwatchd process of a test, run from a config file: Start
// waits until GET /readyz answers 200, Stop sends SIGTERM, Kill is kill -9.
// It inherits the test's environment. Every run's output is kept in its
// own file and shown if the test fails; the process is killed when the
// test ends.
type Gateway struct {
	// HTTP is the base URL of its HTTP listener, http://host:port.
	HTTP string

	d *daemon
}

// Gridwatchd prepares, without starting, `bin -config config` whose HTTP
// listener is httpAddr (host:port, as in the config).
func Gridwatchd(t testing.TB, bin, config, httpAddr string) *Gateway {
	t.Helper()
	return GridwatchdArgs(t, bin, config, httpAddr)
}

// GridwatchdArgs is Gridwatchd with more command-line arguments after
// `-config config` (`-pprof 127.0.0.1:PORT` for the bench).
func GridwatchdArgs(t testing.TB, bin, config, httpAddr string, extra ...string) *Gateway {
	t.Helper()
	g := &Gateway{HTTP: "http://" + httpAddr}
	g.d = newDaemon(t, "gridwatchd", bin, t.TempDir(), append([]string{"-config", config}, extra...), g.readyz())
	return g
}

// readyz is the daemon's readiness check: GET /readyz answers 200.
func (g *Gateway) readyz() func(context.Context) error {
	return func(ctx context.Context) error { return probeStatus(ctx, nil, g.HTTP, "/readyz", http.StatusOK) }
}

// Start runs the gateway and waits until it is ready; the test fails,
// with the gateway's output, if it exits or is not ready in time.
func (g *Gateway) Start() { g.d.t.Helper(); g.d.start() }

// StartErr is Start returning the failure instead, for tests of a gateway
// that must refuse to start: the error says whether it exited (and how)
// or never became ready. LastOutput then holds what it printed.
func (g *Gateway) StartErr() error { return g.d.startErr() }

// Stop ends the gateway with SIGTERM (SIGKILL if it lingers).
func (g *Gateway) Stop() { g.d.t.Helper(); g.d.stop() }

// Kill ends the gateway with SIGKILL at once and waits until it is gone.
func (g *Gateway) Kill() {
	g.d.t.Helper()
	if err := g.d.kill(); err != nil {
		g.d.t.Fatalf("testsvc: %v", err)
	}
}

// Runs returns how many times the gateway has been started.
func (g *Gateway) Runs() int {
	g.d.mu.Lock()
	defer g.d.mu.Unlock()
	return g.d.runs
}

// LastOutput returns what the latest run printed (stdout and stderr).
func (g *Gateway) LastOutput() string {
	g.d.mu.Lock()
	path := filepath.Join(g.d.dir, fmt.Sprintf("%s-run%d.out", g.d.name, g.d.runs))
	g.d.mu.Unlock()
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no output: %v)", err)
	}
	return string(b)
}
