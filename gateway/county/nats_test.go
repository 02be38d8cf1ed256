package county

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// natsNode starts one nats-server with JetStream and its MQTT listener,
// the county cluster of the tests in miniature, and returns its MQTT URL.
// The server is GRIDWATCH_NATS, else nats-server on PATH or in
// $(go env GOPATH)/bin; the test is skipped without one (make test
// installs it: go install github.com/nats-io/nats-server/v2@v2.15.3).
func natsNode(t *testing.T) string {
	t.Helper()
	bin := natsBinary()
	if bin == "" {
		t.Skip("nats-server not found: go install github.com/nats-io/nats-server/v2@v2.15.3, or set GRIDWATCH_NATS")
	}
	dir := t.TempDir()
	port, mqttPort := testsvc.FreePort(t), testsvc.FreePort(t)
	conf := fmt.Sprintf(`listen: "127.0.0.1:%d"
server_name: "county-test"
jetstream { store_dir: %q }
mqtt { listen: "127.0.0.1:%d" }
`, port, filepath.Join(dir, "js"), mqttPort)
	confPath := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "nats.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", confPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("nats-server log:\n%s", b)
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", mqttPort)
	testsvc.Eventually(t, 30*time.Second, "nats-server's MQTT listener", func() bool {
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(context.Background(), "tcp", addr)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
	return "tcp://" + addr
}

func natsBinary() string {
	if p := os.Getenv("GRIDWATCH_NATS"); p != "" {
		return p
	}
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return ""
	}
	for _, gp := range filepath.SplitList(strings.TrimSpace(string(out))) {
		if p := filepath.Join(gp, "bin", "nats-server"); fileExists(p) {
			return p
		}
	}
	return ""
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}
