package testsvc

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// MosquittoTLS starts a private mosquitto broker like Mosquitto, but
// whose only listener speaks TLS with the server certificate cert and key;
// with clientCA set it also requires a client certificate issued by that
// CA. URL is ssl://127.0.0.1:PORT.
func MosquittoTLS(t testing.TB, cert, key, clientCA string) *Service {
	t.Helper()
	bin := binaryOrSkip(t, "mosquitto", "install it with scripts/test-deps.sh (or apt-get install mosquitto)",
		os.Getenv("GRIDWATCH_MOSQUITTO"), "mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")
	dir := t.TempDir()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
	logFile := filepath.Join(dir, "mosquitto.log")
	text := mosquittoConfig(addr, logFile) + fmt.Sprintf("certfile %s\nkeyfile %s\n", cert, key)
	if clientCA != "" {
		text += fmt.Sprintf("cafile %s\nrequire_certificate true\n", clientCA)
	}
	conf := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatalf("testsvc: write mosquitto config: %v", err)
	}
	d := newDaemon(t, "mosquitto", bin, dir, []string{"-c", conf}, func(ctx context.Context) error {
		return dialOnce(ctx, addr)
	})
	d.addLog(logFile)
	s := &Service{URL: "ssl://" + addr, Addr: addr, LogFile: logFile, d: d}
	s.Start()
	return s
}
