package bench

import (
	"fmt"
	"os"
	"testing"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// The test binary's shared state, owned by TestMain: the two binaries,
// built once.
var (
	binGridwatchd, binGridsim string
	binErr                    error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bench-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binGridwatchd, binErr = testsvc.BuildGridwatchd(dir)
	if binErr == nil {
		binGridsim, binErr = testsvc.BuildGridsim(dir)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func gridwatchd(t testing.TB) string {
	t.Helper()
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binGridwatchd
}

func gridsim(t testing.TB) string {
	t.Helper()
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binGridsim
}
