package testsvc

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// MosquittoPersistent is Mosquitto as Mosquitto returns it (the
// production settings of MosquittoSettings: persistence on, deep queues),
// but saving after every change (autosave_on_changes with an interval of
// 1) instead of every 10 s, so that a test may crash it with Kill straight
// after a publish and find the message queued for a clean-session-off
// client again after Start.
func MosquittoPersistent(t testing.TB) *Service {
	t.Helper()
	bin := binaryOrSkip(t, "mosquitto", "install it with scripts/test-deps.sh (or apt-get install mosquitto)",
		os.Getenv("GRIDWATCH_MOSQUITTO"), "mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")
	dir := t.TempDir()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
	logFile := filepath.Join(dir, "mosquitto.log")
	conf := strings.Replace(mosquittoConfig(addr, logFile), "autosave_interval 10\n", "autosave_interval 1\nautosave_on_changes true\n", 1)
	if !strings.Contains(conf, "autosave_on_changes true") {
		t.Fatalf("testsvc: mosquitto config has no autosave_interval line to replace:\n%s", conf)
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
