package testsvc

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// NATSOptions adjust a test NATS cluster.
type NATSOptions struct {
	// Auth is a block of nats-server configuration appended to every
	// node's file: accounts, users and their permissions (see
	// deploy/county/nats/auth.conf). Empty means anonymous access with
	// every permission.
	Auth string
	// ProbeUser and ProbePassword are the MQTT credentials the readiness
	// check connects with when Auth requires them.
	ProbeUser, ProbePassword string
}

// NATS is a private nats-server cluster for one test: every node runs
// JetStream and the MQTT listener, all on loopback ports, with data and
// logs in the test's temporary directory.
type NATS struct {
	// Nodes are the cluster's servers, n1 first.
	Nodes []*NATSNode

	t    testing.TB
	opts NATSOptions
}

// NATSNode is one server of a test NATS cluster.
type NATSNode struct {
	// Name is the server's name (n1, n2, ...).
	Name string
	// MQTTURL is the MQTT listener in the form paho takes: tcp://127.0.0.1:PORT.
	MQTTURL string
	// MQTTAddr is the MQTT listener's host:port.
	MQTTAddr string
	// ClientURL is the NATS protocol listener: nats://127.0.0.1:PORT.
	ClientURL string
	// MonitorURL is the HTTP monitoring endpoint (/healthz, /varz, /jsz).
	MonitorURL string
	// StoreDir holds this node's JetStream data.
	StoreDir string

	c *NATS
	d *daemon
}

// MQTTURLs are the MQTT listeners of every node, n1 first: the server list
// a client that fails over between nodes takes.
func (c *NATS) MQTTURLs() []string {
	urls := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		urls[i] = n.MQTTURL
	}
	return urls
}

// NATSCluster starts n nats-servers (n ≥ 1; 3 for a cluster that keeps
// quorum with one node down) clustered with each other, each with
// JetStream and the MQTT listener, and returns once every node reports
// healthy (/healthz: JetStream current) and its MQTT listener accepts a
// CONNECT. The MQTT streams are replicated min(n, 3) times. Each node's
// output is shown if the test fails; all are stopped when the test ends.
//
// The binary is $GRIDWATCH_NATS, else .cache/bin/nats-server in the
// module root, else nats-server on PATH (scripts/test-deps.sh builds it
// into .cache/bin). Without it the test is skipped, or fails when
// GRIDWATCH_REQUIRE_SERVICES=1.
func NATSCluster(t testing.TB, n int, opts ...NATSOptions) *NATS {
	t.Helper()
	if n < 1 {
		t.Fatalf("testsvc: NATSCluster: n = %d, want at least 1", n)
	}
	var cached string
	if root, err := moduleRoot(); err == nil {
		cached = filepath.Join(root, ".cache", "bin", "nats-server")
	}
	bin := binaryOrSkip(t, "nats-server", "install it with scripts/test-deps.sh (go install github.com/nats-io/nats-server/v2@"+NATSVersion+")",
		os.Getenv("GRIDWATCH_NATS"), cached, "nats-server")
	c := &NATS{t: t}
	if len(opts) > 0 {
		c.opts = opts[0]
	}
	ports := distinctPorts(t, 4*n)
	routes := make([]string, n)
	for i := range n {
		routes[i] = "nats-route://127.0.0.1:" + strconv.Itoa(ports[4*i+2])
	}
	for i := range n {
		name := "n" + strconv.Itoa(i+1)
		dir := t.TempDir()
		node := &NATSNode{
			Name:       name,
			ClientURL:  "nats://127.0.0.1:" + strconv.Itoa(ports[4*i]),
			MQTTAddr:   "127.0.0.1:" + strconv.Itoa(ports[4*i+1]),
			MonitorURL: "http://127.0.0.1:" + strconv.Itoa(ports[4*i+3]),
			StoreDir:   filepath.Join(dir, "js"),
			c:          c,
		}
		node.MQTTURL = "tcp://" + node.MQTTAddr
		conf := filepath.Join(dir, "nats.conf")
		text := natsConfig(name, ports[4*i], ports[4*i+1], ports[4*i+2], ports[4*i+3], node.StoreDir, routes, i, n) + c.opts.Auth + "\n"
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatalf("testsvc: write nats config: %v", err)
		}
		clientAddr := strings.TrimPrefix(node.ClientURL, "nats://")
		// The process is up once it listens; whether the cluster is
		// healthy is checked for all nodes together below, since no node
		// of a cluster gets a JetStream leader on its own.
		node.d = newDaemon(t, "nats-"+name, bin, dir, []string{"-c", conf}, func(ctx context.Context) error {
			return dialOnce(ctx, clientAddr)
		})
		c.Nodes = append(c.Nodes, node)
	}
	for _, node := range c.Nodes {
		node.d.start()
	}
	for _, node := range c.Nodes {
		node.waitHealthy()
	}
	return c
}

// NATSVersion is the nats-server release the tests are written against.
const NATSVersion = "v2.15.3"

// Kill ends the node with SIGKILL (kill -9), as a crash would, and waits
// until it is gone. Start brings it back with the same data and ports.
func (n *NATSNode) Kill() {
	n.c.t.Helper()
	if err := n.d.kill(); err != nil {
		n.c.t.Fatalf("testsvc: %v", err)
	}
}

// Stop stops the node (SIGTERM, which makes nats-server hand over its
// leaderships first; SIGKILL if it lingers).
func (n *NATSNode) Stop() { n.c.t.Helper(); n.d.stop() }

// Start starts a stopped or killed node again on the same ports with the
// same data, and waits until it reports healthy and accepts MQTT.
func (n *NATSNode) Start() {
	n.c.t.Helper()
	n.d.start()
	n.waitHealthy()
}

// waitHealthy waits until /healthz says JetStream is current on this node
// and its MQTT listener accepts a CONNECT.
func (n *NATSNode) waitHealthy() {
	n.c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	var last error
	for {
		if last = n.healthz(ctx); last == nil {
			if last = mqttProbe(ctx, n.MQTTAddr, "testsvc-probe-"+n.Name, n.c.opts.ProbeUser, n.c.opts.ProbePassword); last == nil {
				return
			}
		}
		select {
		case <-ctx.Done():
			n.d.dump()
			n.c.t.Fatalf("testsvc: nats %s not healthy after %v: %v", n.Name, readyTimeout, last)
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// healthz reports whether the node's /healthz answers 200.
func (n *NATSNode) healthz(ctx context.Context) error {
	return probeStatus(ctx, nil, n.MonitorURL, "/healthz", http.StatusOK)
}

// distinctPorts returns k free loopback ports, all different.
func distinctPorts(t testing.TB, k int) []int {
	t.Helper()
	seen := make(map[int]bool, k)
	ports := make([]int, 0, k)
	for len(ports) < k {
		p := FreePort(t)
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	return ports
}

// natsConfig renders one node's configuration.
func natsConfig(name string, client, mqtt, cluster, monitor int, store string, routes []string, self, n int) string {
	q := strconv.Quote
	var b strings.Builder
	fmt.Fprintf(&b, "server_name: %s\n", q(name))
	fmt.Fprintf(&b, "listen: \"127.0.0.1:%d\"\n", client)
	fmt.Fprintf(&b, "http: \"127.0.0.1:%d\"\n", monitor)
	fmt.Fprintf(&b, "jetstream {\n  store_dir: %s\n  max_memory_store: 64MB\n  max_file_store: 1GB\n}\n", q(store))
	if n > 1 {
		var others []string
		for i, r := range routes {
			if i != self {
				others = append(others, q(r))
			}
		}
		fmt.Fprintf(&b, "cluster {\n  name: \"gridwatch-test\"\n  listen: \"127.0.0.1:%d\"\n  routes: [%s]\n}\n", cluster, strings.Join(others, ", "))
	}
	replicas := min(n, 3)
	fmt.Fprintf(&b, "mqtt {\n  listen: \"127.0.0.1:%d\"\n  stream_replicas: %d\n}\n", mqtt, replicas)
	return b.String()
}

// PID is the node's process id while it runs, 0 when it is stopped: for
// measuring its CPU and memory (/proc/PID).
func (n *NATSNode) PID() int {
	n.d.mu.Lock()
	defer n.d.mu.Unlock()
	if n.d.cmd == nil || n.d.cmd.Process == nil {
		return 0
	}
	return n.d.cmd.Process.Pid
}
