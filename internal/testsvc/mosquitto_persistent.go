package testsvc

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// MosquittoPersistent is Mosquitto as a production broker behind the
// gateway must run: persistence on (sessions of clean-session-off clients,
// their queued QoS 1 messages and retained messages are saved in the
// test's directory after every change — autosave_on_changes with an
// interval of 1 — and on shutdown, and come back on Start), and no limit
// on a session's queue (max_queued_messages 0): with Mosquitto's default
// of 1000, presses it acknowledged while the gateway was reconnecting are
// dropped once 1000 wait. Use Kill to crash it and Start to bring it back.
func MosquittoPersistent(t testing.TB) *Service {
	t.Helper()
	bin := binaryOrSkip(t, "mosquitto", "install it with scripts/test-deps.sh (or apt-get install mosquitto)",
		os.Getenv("GRIDWATCH_MOSQUITTO"), "mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")
	dir := t.TempDir()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
	logFile := filepath.Join(dir, "mosquitto.log")
	persist := fmt.Sprintf("persistence true\npersistence_location %s/\nautosave_interval 1\nautosave_on_changes true\nmax_queued_messages 0\n", dir)
	conf := strings.Replace(mosquittoConfig(addr, logFile), "persistence false\n", persist, 1)
	if !strings.Contains(conf, "persistence true") {
		t.Fatalf("testsvc: mosquitto config has no persistence line to replace:\n%s", conf)
	}
	if err := os.WriteFile(filepath.Join(dir, "mosquitto.conf"), []byte(conf), 0o600); err != nil {
		t.Fatalf("testsvc: write mosquitto config: %v", err)
	}
	d := newDaemon(t, "mosquitto", bin, dir, []string{"-c", filepath.Join(dir, "mosquitto.conf")}, func(ctx context.Context) error {
		return dialOnce(ctx, addr)
	})
	d.addLog(logFile)
	s := &Service{URL: "tcp://" + addr, Addr: addr, d: d}
	s.Start()
	return s
}
