package countye2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// The gridwatchd binary, built once by TestMain for every process of the
// test (gateways and county views alike).
var binPath, binErr = "", error(nil)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "countye2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath, binErr = testsvc.BuildGridwatchd(dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func gridwatchd(t *testing.T) string {
	t.Helper()
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// fullEnv runs the long variant (`make chaos`).
const fullEnv = "GRIDWATCH_COUNTYE2E"

func full() bool { return os.Getenv(fullEnv) == "full" }

// countyPasswords are the passwords deploy/county/nats/auth.conf reads
// from the environment.
var countyPasswords = map[string]string{
	"lianhua": "pw-lianhua", "taoyuan": "pw-taoyuan", "xinhe": "pw-xinhe", "county-view": "pw-view",
}

// countyNATS starts n NATS nodes with deploy/county's accounts and
// permissions: the gateways and views of the test hold the same grants as
// in production.
func countyNATS(t *testing.T, n int) *testsvc.NATS {
	t.Helper()
	for user, pw := range countyPasswords {
		env := "GW_" + strings.ToUpper(user) + "_PASSWORD"
		if user == "county-view" {
			env = "COUNTY_VIEW_PASSWORD"
		}
		t.Setenv(env, pw)
	}
	auth, err := os.ReadFile(filepath.Join("..", "..", "deploy", "county", "nats", "auth.conf"))
	if err != nil {
		t.Fatal(err)
	}
	return testsvc.NATSCluster(t, n, testsvc.NATSOptions{Auth: string(auth), ProbeUser: "county-view", ProbePassword: countyPasswords["county-view"]})
}
