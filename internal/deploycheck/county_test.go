package deploycheck

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/gateway/countyconfig"
	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// countyPasswords are the passwords deploy/county/nats/auth.conf reads
// from the environment, for the tests.
var countyPasswords = map[string]string{
	"lianhua": "pw-lianhua", "taoyuan": "pw-taoyuan", "xinhe": "pw-xinhe", "county-view": "pw-view",
}

// CountyNATS starts a NATS cluster of n nodes with deploy/county's
// accounts and permissions, as the county stack runs it.
func countyNATS(t *testing.T, n int) *testsvc.NATS {
	t.Helper()
	for user, pw := range countyPasswords {
		t.Setenv(countyPasswordEnv(user), pw)
	}
	auth, err := os.ReadFile(filepath.Join(root, "deploy/county/nats/auth.conf"))
	if err != nil {
		t.Fatal(err)
	}
	return testsvc.NATSCluster(t, n, testsvc.NATSOptions{Auth: string(auth), ProbeUser: "county-view", ProbePassword: countyPasswords["county-view"]})
}

func countyPasswordEnv(user string) string {
	if user == "county-view" {
		return "COUNTY_VIEW_PASSWORD"
	}
	return "GW_" + strings.ToUpper(user) + "_PASSWORD"
}

// received collects the payloads one observer got.
type received struct {
	mu   sync.Mutex
	seen []string
}

func (r *received) add(_ paho.Client, m paho.Message) {
	r.mu.Lock()
	r.seen = append(r.seen, string(m.Payload()))
	r.mu.Unlock()
}

func (r *received) has(p string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.seen, p)
}

func countyClient(t *testing.T, url, user, password string) (paho.Client, error) {
	t.Helper()
	o := paho.NewClientOptions().AddBroker(url).SetClientID("deploycheck-" + user + "-" + fmt.Sprint(time.Now().UnixNano())).
		SetUsername(user).SetPassword(password).SetAutoReconnect(false).SetConnectTimeout(30 * time.Second).
		SetDefaultPublishHandler(func(paho.Client, paho.Message) {})
	c := paho.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(30 * time.Second) {
		return nil, fmt.Errorf("connect %s: timed out", user)
	}
	if tok.Error() != nil {
		return nil, tok.Error()
	}
	t.Cleanup(func() { c.Disconnect(50) })
	return c, nil
}

// TestCountyNATSPermissions runs deploy/county/nats/auth.conf on a real
// nats-server and checks the county tier's ACL: a gateway publishes only
// under its own site and reads only its own down; a county view reads
// every site and publishes only on down; a wrong password is refused.
// docs/county.md states the same table for EMQX (deploy/county/emqx).
func TestCountyNATSPermissions(t *testing.T) {
	c := countyNATS(t, 1)
	url := c.Nodes[0].MQTTURL
	lh := countywire.Topics{County: "qx", Site: "lianhua"}
	ty := countywire.Topics{County: "qx", Site: "taoyuan"}
	must := func(c paho.Client, err error) paho.Client {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	view := must(countyClient(t, url, "county-view", countyPasswords["county-view"]))
	gwLH := must(countyClient(t, url, "lianhua", countyPasswords["lianhua"]))
	gwTY := must(countyClient(t, url, "taoyuan", countyPasswords["taoyuan"]))

	// Subscriptions: granted (QoS 1) or refused (0x80).
	var atView, atLH, atTY received
	for _, tc := range []struct {
		who    string
		c      paho.Client
		filter string
		ok     bool
		h      paho.MessageHandler
	}{
		{"view", view, countywire.CountyFilters("qx")[0], true, atView.add},
		{"view", view, countywire.CountyFilters("qx")[1], true, atView.add},
		{"view", view, countywire.CountyFilters("qx")[2], true, atView.add},
		{"view", view, countywire.CountyFilters("qx")[3], true, atView.add},
		{"view", view, countywire.CountyFilters("qx")[4], true, atView.add},
		{"view", view, "gridwatch/v1/county/qx/site/+/down", false, nil},
		{"view", view, "#", false, nil},
		{"lianhua", gwLH, lh.Down(), true, atLH.add},
		{"lianhua", gwLH, ty.Down(), false, nil},
		{"lianhua", gwLH, ty.Events(), false, nil},
		{"lianhua", gwLH, lh.Events(), false, nil},
		{"lianhua", gwLH, "gridwatch/v1/county/qx/site/+/events", false, nil},
		{"taoyuan", gwTY, ty.Down(), true, atTY.add},
	} {
		tok := tc.c.Subscribe(tc.filter, 1, tc.h)
		if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
			t.Fatalf("%s subscribe %s: %v", tc.who, tc.filter, tok.Error())
		}
		code := tok.(*paho.SubscribeToken).Result()[tc.filter]
		if got := code != 0x80; got != tc.ok {
			t.Errorf("%s subscribe %s: granted %v (code %#x), want %v", tc.who, tc.filter, got, code, tc.ok)
		}
	}

	// Publications: a denied one is acknowledged and dropped, so each is
	// judged by whether its observer receives it; a last allowed message
	// from each publisher marks when the others must have arrived.
	type pub struct {
		topic string
		ok    bool
		at    *received
	}
	plan := map[string][]pub{
		"lianhua": {
			{lh.Events(), true, &atView}, {lh.Alarm("a-1"), true, &atView}, {lh.Summary(), true, &atView},
			{lh.Status(), true, &atView}, {lh.Reply(), true, &atView},
			{ty.Events(), false, &atView}, {ty.Alarm("a-1"), false, &atView}, {ty.Status(), false, &atView},
			{lh.Down(), false, &atLH}, {ty.Down(), false, &atTY},
		},
		"county-view": {
			{lh.Down(), true, &atLH}, {ty.Down(), true, &atTY},
			{lh.Events(), false, &atView}, {lh.Alarm("a-9"), false, &atView}, {lh.Status(), false, &atView},
		},
	}
	clients := map[string]paho.Client{"lianhua": gwLH, "county-view": view}
	var marks []func() bool
	for who, pubs := range plan {
		for i, p := range pubs {
			payload := fmt.Sprintf("%s #%d → %s", who, i, p.topic)
			if tok := clients[who].Publish(p.topic, 1, false, payload); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
				t.Fatalf("%s publish %s: %v", who, p.topic, tok.Error())
			}
		}
		last := pubs[0]
		mark := who + " done"
		if tok := clients[who].Publish(last.topic, 1, false, mark); !tok.WaitTimeout(30 * time.Second) {
			t.Fatalf("%s publish mark: timed out", who)
		}
		marks = append(marks, func() bool { return last.at.has(mark) })
	}
	testsvc.Eventually(t, 30*time.Second, "every publisher's last message", func() bool {
		for _, m := range marks {
			if !m() {
				return false
			}
		}
		return true
	})
	time.Sleep(500 * time.Millisecond) // denied ones would have come by now
	for who, pubs := range plan {
		for i, p := range pubs {
			payload := fmt.Sprintf("%s #%d → %s", who, i, p.topic)
			if got := p.at.has(payload); got != p.ok {
				t.Errorf("%s publish %s: delivered %v, want %v", who, p.topic, got, p.ok)
			}
		}
	}

	// Logins.
	if _, err := countyClient(t, url, "lianhua", "wrong"); err == nil {
		t.Error("lianhua with a wrong password: connected")
	}
	if _, err := countyClient(t, url, "nobody", "x"); err == nil {
		t.Error("unknown user: connected")
	}
}

// TestCountyViewConfig: the county view config the compose stack mounts
// is one gridwatchd county accepts, pointed at the load balancer.
func TestCountyViewConfig(t *testing.T) {
	t.Setenv("COUNTY_VIEW_PASSWORD", "compose-view-password")
	cfg, err := countyconfig.Load(filepath.Join(root, "deploy/county/county.yaml"))
	if err != nil {
		t.Fatalf("deploy/county/county.yaml: %v", err)
	}
	if cfg.County != "qx" || cfg.MQTT.URL != "tcp://lb:1883" || cfg.MQTT.Username != "county-view" || cfg.MQTT.Password != "compose-view-password" {
		t.Errorf("county.yaml: county %q, mqtt %q as %q (password from the environment: %v); want qx, the balancer, county-view",
			cfg.County, cfg.MQTT.URL, cfg.MQTT.Username, cfg.MQTT.Password == "compose-view-password")
	}
}

// TestCountyCompose checks deploy/county/docker-compose.yml parses, has
// every service of the county stack, and that what it mounts from this
// repository exists.
func TestCountyCompose(t *testing.T) {
	var c struct {
		Services map[string]struct {
			Volumes []string
			Build   struct{ Context, Dockerfile string }
		}
	}
	readYAML(t, "deploy/county/docker-compose.yml", &c)
	for _, s := range []string{"nats-1", "nats-2", "nats-3", "lb", "county-view-1", "county-view-2", "influxdb", "grafana"} {
		if _, ok := c.Services[s]; !ok {
			t.Errorf("deploy/county/docker-compose.yml: no service %q", s)
		}
	}
	dir := filepath.Join(root, "deploy/county")
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(src, ".") {
				continue
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
	// Every password auth.conf reads is passed to the NATS nodes.
	auth, err := os.ReadFile(filepath.Join(dir, "nats/auth.conf"))
	if err != nil {
		t.Fatal(err)
	}
	compose, err := os.ReadFile(filepath.Join(dir, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for user := range countyPasswords {
		env := countyPasswordEnv(user)
		if !strings.Contains(string(auth), "$"+env) {
			t.Errorf("auth.conf: no $%s for %s", env, user)
		}
		if !strings.Contains(string(compose), env+": ${"+env) {
			t.Errorf("docker-compose.yml: %s not passed to the NATS nodes", env)
		}
	}
}
