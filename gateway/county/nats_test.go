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

// natsServer is one nats-server with JetStream and its MQTT listener,
// the county cluster of the tests in miniature.
type natsServer struct {
	t        *testing.T
	bin      string
	conf     string
	log      *os.File
	logPath  string
	mqttAddr string
	cmd      *exec.Cmd
}

// natsNode starts a natsServer and returns its MQTT URL. The server is
// GRIDWATCH_NATS, else nats-server on PATH or in $(go env GOPATH)/bin;
// the test is skipped without one (go install
// github.com/nats-io/nats-server/v2@v2.15.3).
func natsNode(t *testing.T) string {
	t.Helper()
	return startNATS(t).url()
}

func startNATS(t *testing.T) *natsServer {
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
	n := &natsServer{t: t, bin: bin, conf: filepath.Join(dir, "nats.conf"), logPath: filepath.Join(dir, "nats.log"),
		mqttAddr: fmt.Sprintf("127.0.0.1:%d", mqttPort)}
	if err := os.WriteFile(n.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	if n.log, err = os.Create(n.logPath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.stop()
		n.log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(n.logPath)
			t.Logf("nats-server log:\n%s", b)
		}
	})
	n.start()
	return n
}

func (n *natsServer) url() string { return "tcp://" + n.mqttAddr }

// start runs the server (again, on the same ports and store) and waits
// for its MQTT listener.
func (n *natsServer) start() {
	n.t.Helper()
	n.cmd = exec.Command(n.bin, "-c", n.conf)
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	testsvc.Eventually(n.t, 30*time.Second, "nats-server's MQTT listener", func() bool {
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(context.Background(), "tcp", n.mqttAddr)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// forget deletes the stopped server's JetStream store: started again,
// it has lost every retained message and session, as a cluster whose
// state was lost (or that answers before its leaders are elected) would.
func (n *natsServer) forget() {
	n.t.Helper()
	if err := os.RemoveAll(filepath.Join(filepath.Dir(n.conf), "js")); err != nil {
		n.t.Fatal(err)
	}
}

// stop kills the server (kill -9: as a crash would).
func (n *natsServer) stop() {
	if n.cmd != nil && n.cmd.Process != nil {
		n.cmd.Process.Kill()
		n.cmd.Wait()
		n.cmd = nil
	}
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
