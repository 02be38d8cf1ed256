package testsvc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// missing ends the test for a missing independent implementation: t.Fatal
// when services are required (make test), t.Skip otherwise, with a message
// that says how to install it.
func missing(t testing.TB, what string, err error, hint string) {
	t.Helper()
	msg := fmt.Sprintf("testsvc: %s: %v; %s", what, err, hint)
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("%s (%s=1, so this is a failure, not a skip)", msg, requireEnv)
	}
	t.Skipf("%s (set %s=1 to make this a failure)", msg, requireEnv)
}

// PyModbus returns a Python 3 that imports pymodbus (Debian's
// python3-pymodbus, for the system's /usr/bin/python3; $GRIDWATCH_PYTHON
// first, then python3 on PATH), or ends the test like a missing service.
func PyModbus(t testing.TB) string {
	t.Helper()
	var tried []string
	for _, c := range []string{os.Getenv("GRIDWATCH_PYTHON"), "/usr/bin/python3", "python3"} {
		if c == "" {
			continue
		}
		p, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		tried = append(tried, p)
		if exec.Command(p, "-c", "import pymodbus.server, serial").Run() == nil {
			return p
		}
	}
	missing(t, "pymodbus", fmt.Errorf("no python3 imports it (tried %q)", tried),
		"install it with scripts/test-deps.sh (or apt-get install python3-pymodbus)")
	return ""
}

// BuildLibmodbus compiles the C source src against libmodbus (Debian's
// libmodbus-dev, found with pkg-config) into the test's temporary
// directory and returns the program's path, or ends the test like a
// missing service when cc or libmodbus is not there.
func BuildLibmodbus(t testing.TB, src string) string {
	t.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		missing(t, "libmodbus", err, "install a C compiler (apt-get install gcc)")
	}
	flags, err := exec.Command("pkg-config", "--cflags", "--libs", "libmodbus").Output()
	if err != nil {
		missing(t, "libmodbus", fmt.Errorf("pkg-config libmodbus: %w", err),
			"install it with scripts/test-deps.sh (or apt-get install libmodbus-dev)")
	}
	out := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(src), ".c"))
	args := append([]string{"-Wall", "-o", out, src}, strings.Fields(string(flags))...)
	if b, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("cc %s: %v\n%s", src, err, b)
	}
	return out
}
