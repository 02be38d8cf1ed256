package testsvc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// requireEnv names the variable that turns a missing service into a test
// failure instead of a skip.
const requireEnv = "GRIDWATCH_REQUIRE_SERVICES"

// findBinary returns the first candidate that exists and is executable. A
// candidate without a slash is looked up on PATH. Empty candidates are
// ignored. It returns an error naming every place it looked.
func findBinary(candidates ...string) (string, error) {
	var tried []string
	for _, c := range candidates {
		if c == "" {
			continue
		}
		tried = append(tried, c)
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("not found (looked for %q)", tried)
}

// binaryOrSkip finds a service binary or ends the test: t.Fatal when
// services are required, t.Skip otherwise.
func binaryOrSkip(t testing.TB, service, hint string, candidates ...string) string {
	t.Helper()
	p, err := findBinary(candidates...)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("testsvc: %s binary %v; %s", service, err, hint)
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("%s (%s=1, so this is a failure, not a skip)", msg, requireEnv)
		return ""
	}
	t.Skipf("%s (set %s=1 to make this a failure)", msg, requireEnv)
	return ""
}

// moduleRoot walks up from the working directory to the directory holding
// go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Chromium returns the path of a headless-capable Chromium for browser
// tests (Debian's chromium package), or ends the test like a missing
// service does.
func Chromium(t testing.TB) string {
	t.Helper()
	return binaryOrSkip(t, "chromium", "run scripts/test-deps.sh (apt-get install chromium)", "chromium", "chromium-browser")
}
