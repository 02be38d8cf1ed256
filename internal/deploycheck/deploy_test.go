// Package deploycheck keeps the files under deploy/ honest: the Prometheus
// config and alert rules pass promtool, the Grafana dashboards parse and
// point at provisioned data sources, the compose file names files that
// exist, and every metric the alerts and dashboards query is one a running
// gateway really exports.
package deploycheck

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"go.yaml.in/yaml/v3"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/app"
	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// root is the module root, seen from this package's directory.
const root = "../.."

const wait = 30 * time.Second // generous: the machine may be busy

func TestPromtoolChecks(t *testing.T) {
	bin := testsvc.Promtool(t)
	for _, args := range [][]string{
		{"check", "rules", "deploy/prometheus/alerts.yml"},
		{"check", "config", "deploy/prometheus/prometheus.yml"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := exec.Command(bin, args...)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
}

// query is one query of a dashboard or alert, and where it comes from.
type query struct{ where, expr string }

// alertExprs returns the expression of every rule in alerts.yml.
func alertExprs(t *testing.T) []query {
	t.Helper()
	var f struct {
		Groups []struct {
			Name  string
			Rules []struct{ Alert, Expr string }
		}
	}
	readYAML(t, "deploy/prometheus/alerts.yml", &f)
	var out []query
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			out = append(out, query{"alerts.yml: " + r.Alert, r.Expr})
		}
	}
	return out
}

type dashboard struct {
	UID, Title string
	Panels     []struct {
		Title      string
		Datasource struct{ Type, UID string }
		Targets    []struct {
			Datasource struct{ Type, UID string }
			Expr       string // PromQL
			Query      string // Flux
		}
	}
}

// dashboards parses every dashboard JSON file.
func dashboards(t *testing.T) map[string]dashboard {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "deploy/grafana/dashboards/*.json"))
	if err != nil || len(files) < 2 {
		t.Fatalf("want the two dashboards under deploy/grafana/dashboards, found %v (%v)", files, err)
	}
	out := make(map[string]dashboard)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = d
	}
	return out
}

// TestDashboards checks every dashboard has a uid, a title and panels, and
// that each query goes to a provisioned data source of the right type.
func TestDashboards(t *testing.T) {
	var prov struct {
		Datasources []struct{ Name, Type, UID string }
	}
	readYAML(t, "deploy/grafana/provisioning/datasources/datasources.yml", &prov)
	types := make(map[string]string)
	for _, d := range prov.Datasources {
		types[d.UID] = d.Type
	}
	if types["prometheus"] != "prometheus" || types["influxdb"] != "influxdb" {
		t.Fatalf("provisioned data sources %v: want uid prometheus and uid influxdb", types)
	}
	for file, d := range dashboards(t) {
		if d.UID == "" || d.Title == "" || len(d.Panels) == 0 {
			t.Errorf("%s: uid %q, title %q, %d panels: want all three", file, d.UID, d.Title, len(d.Panels))
		}
		for _, p := range d.Panels {
			for i, q := range p.Targets {
				ds := q.Datasource
				if ds.UID == "" {
					ds = p.Datasource
				}
				want, ok := types[ds.UID]
				switch {
				case !ok || ds.Type != want:
					t.Errorf("%s: panel %q target %d: data source %+v is not provisioned", file, p.Title, i, ds)
				case want == "prometheus" && q.Expr == "", want == "influxdb" && q.Query == "":
					t.Errorf("%s: panel %q target %d: empty query", file, p.Title, i)
				}
			}
		}
	}
}

// TestComposeFile checks the compose file parses, has every service, and
// that the files it mounts from this repository exist.
func TestComposeFile(t *testing.T) {
	var c struct {
		Services map[string]struct {
			Volumes []string
			Build   struct{ Context, Dockerfile string }
		}
	}
	readYAML(t, "deploy/compose/docker-compose.yml", &c)
	for _, s := range []string{"mosquitto", "influxdb", "grafana", "prometheus", "gridwatch"} {
		if _, ok := c.Services[s]; !ok {
			t.Errorf("docker-compose.yml: no service %q", s)
		}
	}
	dir := filepath.Join(root, "deploy/compose")
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(src, ".") {
				continue // a named volume
			}
			if _, err := os.Stat(filepath.Join(dir, src)); err != nil {
				t.Errorf("service %s mounts %s: %v", name, src, err)
			}
		}
		if s.Build.Dockerfile != "" {
			if _, err := os.Stat(filepath.Join(dir, s.Build.Context, s.Build.Dockerfile)); err != nil {
				t.Errorf("service %s builds from %s: %v", name, s.Build.Dockerfile, err)
			}
		}
	}
}

// metricName matches the names of series the gateway exports.
var metricName = regexp.MustCompile(`\b(?:gridwatch|go|process)_[a-z0-9_]*[a-z0-9]`)

// missing returns the metric names the queries use that are not among the
// exported families (histogram and summary series by their family name).
func missing(qs []query, families map[string]bool) []string {
	var out []string
	for _, q := range qs {
		for _, n := range metricName.FindAllString(q.expr, -1) {
			fam := n
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if f, ok := strings.CutSuffix(n, suf); ok && families[f] {
					fam = f
				}
			}
			if !families[fam] {
				out = append(out, q.where+": "+n)
			}
		}
	}
	return out
}

func TestMissing(t *testing.T) {
	fams := map[string]bool{"gridwatch_a_total": true, "gridwatch_h_seconds": true, "go_goroutines": true}
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`rate(gridwatch_a_total[5m])`, nil},
		{`histogram_quantile(0.9, rate(gridwatch_h_seconds_bucket[5m])) + go_goroutines`, nil},
		{`gridwatch_b_total{x="gridwatch_a_total"}`, []string{"t: gridwatch_b_total"}},
		{`gridwatch_a_bucket + up`, []string{"t: gridwatch_a_bucket"}},
	} {
		if got := missing([]query{{"t", tc.expr}}, fams); !slices.Equal(got, tc.want) {
			t.Errorf("missing(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

// TestQueriedMetricsExist runs a gateway (external Mosquitto, InfluxDB
// configured but down, so every part exports its metrics), raises one
// alarm and sends telemetry so that labelled series exist, then checks
// every metric the alerts and dashboards query is in its /metrics or in
// that of a second gateway running the embedded broker, and lints the
// first scrape with `promtool check metrics` (TestEmbeddedBrokerScrape
// lints the second).
func TestQueriedMetricsExist(t *testing.T) {
	qs := alertExprs(t)
	for file, d := range dashboards(t) {
		for _, p := range d.Panels {
			for _, q := range p.Targets {
				if q.Expr != "" {
					qs = append(qs, query{file + ": " + p.Title, q.Expr})
				}
			}
		}
	}
	if len(qs) < 20 {
		t.Fatalf("found only %d PromQL queries in alerts and dashboards", len(qs))
	}

	base, broker, topics := startGateway(t)
	dev := connect(t, broker, "lb-0001")
	publish(t, dev, topics.Event("lb-0001"), fmt.Sprintf(`{"type":"button.pressed","ts":%d,"seq":1}`, time.Now().UnixMilli()))
	publish(t, dev, topics.Telemetry("lb-0001"), `{"battery_v":12.4,"mains":true}`)

	// The embedded broker's metrics come from a second gateway that runs
	// it; a query counts as exported if either gateway exports it.
	addr := "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
	embedded, _ := runGateway(t, func(cfg *config.Config) { cfg.MQTT.Embedded.Listen = addr })
	waitReady(t, embedded)

	// Poll: the alarm, its pages and the spool's first write take a moment.
	var scrape []byte
	var gone []string
	for deadline := time.Now().Add(wait); ; time.Sleep(100 * time.Millisecond) {
		scrape = get(t, base+"/metrics")
		fams := families(scrape)
		for f := range families(get(t, embedded+"/metrics")) {
			fams[f] = true
		}
		if gone = missing(qs, fams); len(gone) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(gone) > 0 {
		t.Errorf("queried but not exported by a running gateway within %v: %q", wait, gone)
	}

	testsvc.LintMetrics(t, scrape)
}

const registryYAML = `
grids:
  - {id: lianhua,  level: 3}
  - {id: lh-g4-07, level: 4, parent: lianhua}
staff:
  - {id: wang,  role: grid_member,   grids: [lh-g4-07]}
  - {id: room1, role: security_room, grids: [lianhua]}
devices:
  - {id: lb-0001, kind: lightbox, grid: lh-g4-07}
`

// startGateway runs a gateway on an external Mosquitto until the test
// ends; it returns its HTTP base URL, the broker URL and the topics.
func startGateway(t *testing.T) (string, string, wire.Topics) {
	t.Helper()
	mq := testsvc.Mosquitto(t)
	base, topics := runGateway(t, func(cfg *config.Config) {
		cfg.MQTT.URL, cfg.MQTT.ClientID = mq.URL, "gridwatchd-deploycheck-"+strconv.FormatInt(time.Now().UnixNano(), 36)
		// The county uplink, to the same broker: its metrics are queried too.
		cfg.Uplink.URL, cfg.Uplink.County = mq.URL, "deploycheck"
	})
	waitReady(t, base)
	return base, mq.URL, topics
}

// runGateway runs a gateway with the test registry, InfluxDB configured
// but down, and the changes of mod, until the test ends. It returns once
// the gateway serves HTTP (not necessarily ready), with its base URL.
func runGateway(t *testing.T, mod func(*config.Config)) (string, wire.Topics) {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Site = "deploycheck"
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Registry = filepath.Join(dir, "registry.yaml")
	if err := os.WriteFile(cfg.Registry, []byte(registryYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	no := false
	cfg.HTTP.Auth, cfg.HTTP.Listen = &no, "127.0.0.1:0"
	down := "http://127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t)) // nothing listens there
	cfg.Influx = config.Influx{URL: down, Token: "deploycheck-token", Org: "gridwatch", Bucket: "gridwatch"}
	mod(&cfg)

	a, err := app.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("gateway Run: %v", err)
			}
		case <-time.After(wait):
			t.Error("gateway did not stop")
		}
	})
	select {
	case <-a.Started():
	case err := <-done:
		t.Fatalf("gateway stopped at start: %v", err)
	}
	if a.HTTPAddr() == nil {
		t.Fatal("gateway did not start")
	}
	return "http://" + a.HTTPAddr().String(), wire.Topics{Root: cfg.MQTT.TopicRoot}
}

// readyz returns the status /readyz answers, or 0 if it cannot be reached.
func readyz(base string) int {
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitReady waits until /readyz answers 200.
func waitReady(t *testing.T, base string) {
	t.Helper()
	testsvc.Eventually(t, wait, "gateway ready", func() bool { return readyz(base) == http.StatusOK })
}

func connect(t *testing.T, broker, id string) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(broker).SetClientID(id).SetConnectTimeout(10 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", id, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func publish(t *testing.T, c paho.Client, topic, payload string) {
	t.Helper()
	if tok := c.Publish(topic, 1, false, payload); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return b
}

// families returns the metric family names of a text-format scrape.
func families(scrape []byte) map[string]bool {
	out := make(map[string]bool)
	for line := range strings.Lines(string(scrape)) {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, _, _ := strings.Cut(rest, " ")
			out[name] = true
		}
	}
	return out
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestComposeGatewayConfig checks the gateway config the compose stack
// mounts is one gridwatchd accepts.
func TestComposeGatewayConfig(t *testing.T) {
	t.Setenv("GRIDWATCH_TOKEN_ROOM1", "compose-room1-token")
	t.Setenv("GRIDWATCH_INFLUX_TOKEN", "compose-influx-token")
	cfg, err := config.Load(filepath.Join(root, "deploy/compose/gridwatch.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MQTT.URL != "tcp://mosquitto:1883" || cfg.Influx.URL != "http://influxdb:8086" {
		t.Errorf("compose config: mqtt.url %q, influx.url %q: want the compose services", cfg.MQTT.URL, cfg.Influx.URL)
	}
}
