package testsvc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BuildGridsim compiles firmware-sim/cmd/gridsim of this module into dir
// and returns the binary's path; like BuildGridwatchd, once per test
// binary.
func BuildGridsim(dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "gridsim")
	cmd := exec.Command("go", "build", "-o", bin, "./firmware-sim/cmd/gridsim")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build gridsim: %w\n%s", err, out)
	}
	return bin, nil
}

// FloorRelay starts `gridsim floor` (internal/floor, the latency floor of
// `make bench`) from the gridsim binary bin with args (-registry, -journal,
// -embedded or -broker, ...), and returns once it takes presses (its -ready
// file exists). Its output is shown if the test fails; it is stopped when
// the test ends, or by the returned stop.
func FloorRelay(t testing.TB, bin string, args ...string) (stop func()) {
	t.Helper()
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	d := newDaemon(t, "floor", bin, dir, append([]string{"floor", "-ready", ready}, args...), func(context.Context) error {
		_, err := os.Stat(ready)
		return err
	})
	d.start()
	return func() { t.Helper(); d.stop() }
}
