package testsvc

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Credentials and names every test InfluxDB is set up with.
const (
	influxUser     = "user"
	influxPassword = "pass"
	influxDatabase = "db"
	influxRP       = "rp"
)

// Influx is a private InfluxDB 1.8 for one test, with authentication on,
// an admin user and one database whose default retention policy is "rp".
// Its fields are what influxdb-client-go/v2 takes for InfluxDB 1.8.
type Influx struct {
	// URL is the HTTP API, http://127.0.0.1:PORT.
	URL string
	// Token is "user:pass", the 1.8 form of a token.
	Token string
	// Bucket is "db/rp".
	Bucket string
	// Org is empty: InfluxDB 1.8 has none.
	Org string
	// Database is "db", for InfluxQL queries.
	Database string

	d      *daemon
	client *http.Client
}

// Stop stops influxd (SIGTERM, SIGKILL if it lingers). Data written so far
// stays in the test's directory for the next Start.
func (x *Influx) Stop() { x.d.t.Helper(); x.d.stop() }

// Start starts a stopped influxd again on the same ports with the same
// data, and waits until /ping answers.
func (x *Influx) Start() { x.d.t.Helper(); x.d.start() }

// InfluxDB starts a private influxd 1.8 for this test on free loopback
// ports, creates the admin user and the database, and returns once it
// answers /ping. It is stopped when the test ends.
//
// Without an influxd binary the test is skipped, or fails when
// GRIDWATCH_REQUIRE_SERVICES=1.
func InfluxDB(t testing.TB) *Influx {
	t.Helper()
	var cached string
	if root, err := moduleRoot(); err == nil {
		cached = filepath.Join(root, ".cache", "bin", "influxd")
	}
	bin := binaryOrSkip(t, "influxd (InfluxDB 1.8)", "install it with scripts/test-deps.sh",
		os.Getenv("GRIDWATCH_INFLUXD"), cached, "influxd")
	dir := t.TempDir()
	httpPort, rpcPort := FreePort(t), FreePort(t)
	for rpcPort == httpPort {
		rpcPort = FreePort(t)
	}
	httpAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort))
	rpcAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(rpcPort))
	conf := filepath.Join(dir, "influxdb.conf")
	if err := os.WriteFile(conf, []byte(influxConfig(dir, httpAddr, rpcAddr)), 0o600); err != nil {
		t.Fatalf("testsvc: write influxdb config: %v", err)
	}
	x := &Influx{
		URL:      "http://" + httpAddr,
		Token:    influxUser + ":" + influxPassword,
		Bucket:   influxDatabase + "/" + influxRP,
		Database: influxDatabase,
		client:   &http.Client{Timeout: 30 * time.Second},
	}
	x.d = newDaemon(t, "influxd", bin, dir, []string{"run", "-config", conf}, x.ping)
	x.Start()
	x.setup(t)
	return x
}

// setup creates the admin user (allowed without credentials while there
// is none) and the database with its default retention policy.
func (x *Influx) setup(t testing.TB) {
	t.Helper()
	stmts := []struct {
		q    string
		auth bool
	}{
		{fmt.Sprintf("CREATE USER %q WITH PASSWORD '%s' WITH ALL PRIVILEGES", influxUser, influxPassword), false},
		{fmt.Sprintf("CREATE DATABASE %q WITH DURATION INF REPLICATION 1 NAME %q", influxDatabase, influxRP), true},
	}
	for _, s := range stmts {
		if _, err := x.query(context.Background(), s.q, "", s.auth); err != nil {
			x.d.dump()
			t.Fatalf("testsvc: set up influxd: %v", err)
		}
	}
}

// ping reports whether /ping answers 204 No Content.
func (x *Influx) ping(ctx context.Context) error {
	return probeStatus(ctx, x.client, x.URL, "/ping", http.StatusNoContent)
}

// influxConfig renders influxd's configuration: everything under dir,
// only the HTTP API and the RPC port open, both on loopback.
func influxConfig(dir, httpAddr, rpcAddr string) string {
	q := func(s string) string { return strconv.Quote(s) }
	return strings.Join([]string{
		`reporting-disabled = true`,
		`bind-address = ` + q(rpcAddr),
		``,
		`[meta]`,
		`  dir = ` + q(filepath.Join(dir, "meta")),
		``,
		`[data]`,
		`  dir = ` + q(filepath.Join(dir, "data")),
		`  wal-dir = ` + q(filepath.Join(dir, "wal")),
		`  query-log-enabled = false`,
		``,
		`[monitor]`,
		`  store-enabled = false`,
		``,
		`[http]`,
		`  enabled = true`,
		`  bind-address = ` + q(httpAddr),
		`  auth-enabled = true`,
		`  flux-enabled = true`,
		`  log-enabled = true`,
		`  max-row-limit = 0`,
		``,
		`[continuous_queries]`,
		`  enabled = false`,
		``,
		`[subscriber]`,
		`  enabled = false`,
		``,
		`[retention]`,
		`  enabled = false`,
		``,
		`[logging]`,
		`  level = "info"`,
		``,
	}, "\n")
}
