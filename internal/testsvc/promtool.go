package testsvc

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// Promtool returns the path of promtool (Debian package prometheus), or
// ends the test like a missing service does.
func Promtool(t testing.TB) string {
	t.Helper()
	return binaryOrSkip(t, "promtool", "install it with scripts/test-deps.sh (Debian package prometheus)", "", "promtool")
}

// LintMetrics runs `promtool check metrics` over a scrape in the text
// exposition format and fails the test on any complaint. Without promtool
// it only logs (the rest of the test goes on), unless
// GRIDWATCH_REQUIRE_SERVICES=1 makes that a failure.
func LintMetrics(t testing.TB, scrape []byte) {
	t.Helper()
	bin, err := findBinary("promtool")
	if err != nil {
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("testsvc: promtool %v; scripts/test-deps.sh installs it (%s=1)", err, requireEnv)
		}
		t.Logf("testsvc: promtool %v; metric names not linted", err)
		return
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = bytes.NewReader(scrape)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// LintGathered is LintMetrics over what g gathers.
func LintGathered(t testing.TB, g prometheus.Gatherer) {
	t.Helper()
	fams, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range fams {
		if err := enc.Encode(f); err != nil {
			t.Fatal(err)
		}
	}
	LintMetrics(t, buf.Bytes())
}
