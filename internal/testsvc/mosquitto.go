package testsvc

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Service is a running test service reachable over TCP, such as a broker.
type Service struct {
	// URL is the address in the form MQTT clients take: tcp://127.0.0.1:PORT.
	URL string
	// Addr is host:port.
	Addr string
	// LogFile is the service's own log, if it writes one (Mosquitto does).
	LogFile string

	d *daemon
}

// Stop stops the service (SIGTERM, SIGKILL if it lingers). It does nothing
// if the service is not running. The test fails if it cannot be stopped.
func (s *Service) Stop() { s.d.t.Helper(); s.d.stop() }

// Start starts a stopped service again on the same address and waits until
// it accepts connections. Use it with Stop to test reconnects.
func (s *Service) Start() { s.d.t.Helper(); s.d.start() }

// Mosquitto starts a private mosquitto broker for this test on a free
// loopback port, set up as docs/operations.md asks of an external broker
// for gridwatch (persistence on, queues sized for a flooding device; see
// MosquittoSettings) but with anonymous access. Its log (errors, warnings,
// notices and connections; not every packet, which would slow the broker
// and every latency measured through it) is in LogFile and shown if the
// test fails. It returns once the broker accepts TCP connections and stops
// it when the test ends. Stop and Start keep the sessions and retained
// messages, as a broker restart with persistence on does.
//
// Without a mosquitto binary the test is skipped, or fails when
// GRIDWATCH_REQUIRE_SERVICES=1.
func Mosquitto(t testing.TB) *Service {
	t.Helper()
	bin := binaryOrSkip(t, "mosquitto", "install it with scripts/test-deps.sh (or apt-get install mosquitto)",
		os.Getenv("GRIDWATCH_MOSQUITTO"), "mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")
	dir := t.TempDir()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
	logFile := filepath.Join(dir, "mosquitto.log")
	conf := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(conf, []byte(mosquittoConfig(addr, logFile)), 0o600); err != nil {
		t.Fatalf("testsvc: write mosquitto config: %v", err)
	}
	d := newDaemon(t, "mosquitto", bin, dir, []string{"-c", conf}, func(ctx context.Context) error {
		return dialOnce(ctx, addr)
	})
	d.addLog(logFile)
	s := &Service{URL: "tcp://" + addr, Addr: addr, LogFile: logFile, d: d}
	s.Start()
	return s
}

// mosquittoConfig renders the broker's configuration file.
func mosquittoConfig(addr, logFile string) string {
	host, port, _ := net.SplitHostPort(addr)
	var b strings.Builder
	fmt.Fprintf(&b, "listener %s %s\n", port, host)
	b.WriteString("allow_anonymous true\n")
	b.WriteString(MosquittoSettings)
	fmt.Fprintf(&b, "persistence_location %s%c\n", filepath.Dir(logFile), filepath.Separator)
	fmt.Fprintf(&b, "log_dest file %s\n", logFile)
	for _, t := range []string{"error", "warning", "notice", "information"} {
		fmt.Fprintf(&b, "log_type %s\n", t)
	}
	b.WriteString("connection_messages true\n")
	b.WriteString("log_timestamp_format %Y-%m-%dT%H:%M:%S\n")
	if os.Geteuid() == 0 {
		// Run as root, mosquitto drops to user "mosquitto", which cannot
		// write the log in the test's private temporary directory.
		if u, err := user.Current(); err == nil {
			fmt.Fprintf(&b, "user %s\n", u.Username)
		}
	}
	return b.String()
}

// MosquittoSettings are the lines of mosquitto.conf that an external
// broker for gridwatch needs, the same as deploy/compose/mosquitto.conf
// ships (a test there keeps the two in step). Mosquitto's defaults queue
// at most 1000 QoS 1 messages for a client and then drop them — for the
// gateway's session that means presses Mosquitto has already PUBACKed to
// their devices, lost while one box floods or the gateway restarts.
const MosquittoSettings = `persistence true
autosave_interval 10
max_inflight_messages 100
max_queued_messages 200000
max_queued_bytes 268435456
max_packet_size 262144
set_tcp_nodelay true
`

// dialOnce reports whether addr accepts a TCP connection.
func dialOnce(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// MosquittoClient returns the path of a Mosquitto command-line client
// ("mosquitto_sub" or "mosquitto_pub", Debian package mosquitto-clients):
// a real MQTT client for tests of the embedded broker. Without it the test
// is skipped, or fails when GRIDWATCH_REQUIRE_SERVICES=1.
func MosquittoClient(t testing.TB, name string) string {
	t.Helper()
	return binaryOrSkip(t, name, "install mosquitto-clients with scripts/test-deps.sh (or apt-get install mosquitto-clients)",
		name, "/usr/bin/"+name)
}
