package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/escalate"
)

// testEnv is the environment the fixtures are loaded with.
func testEnv(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func parseFile(t *testing.T, path string, env map[string]string) (Config, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parse(path, data, testEnv(env))
}

func TestLoadEmptyPathIsDefault(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Site != DefaultSite || c.MQTT.ClientID != "gridwatchd-gridwatch" || !c.RegistryOptional() {
		t.Errorf("Load(\"\") = %+v, want Default()", c)
	}
}

func TestLoadMinimal(t *testing.T) {
	c, err := Load("testdata/good-minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct{ name, got, want string }{
		{"site", c.Site, "lianhua"},
		{"client_id follows site", c.MQTT.ClientID, "gridwatchd-lianhua"},
		{"data_dir next to the file", c.DataDir, filepath.Join("testdata", "data")},
		{"registry next to the file", c.Registry, filepath.Join("testdata", "registry.yaml")},
		{"http.listen", c.HTTP.Listen, DefaultHTTPListen},
		{"topic_root", c.MQTT.TopicRoot, DefaultTopicRoot},
	} {
		if x.got != x.want {
			t.Errorf("%s = %q, want %q", x.name, x.got, x.want)
		}
	}
	if !c.RegistryOptional() {
		t.Error("registry not named in the file, yet not optional")
	}
	if !c.AuthEnabled() || !c.AnonymousAllowed() || !c.EmbeddedBroker() {
		t.Error("minimal file must keep auth on, anonymous on loopback, embedded broker")
	}
}

func TestLoadFull(t *testing.T) {
	c, err := parseFile(t, "testdata/good-full.yaml", map[string]string{
		"GW_TEST_TOKEN_LI":   "li-token-from-env-0001",
		"GW_TEST_MQTT_LB":    "lightbox-password",
		"GW_TEST_UPLINK":     "uplink-password",
		"GW_TEST_ADMIN_HASH": "$argon2id$v=19$m=19456,t=2,p=1$d0aNz7RptawCU4gLRlFOFg$uDq3Vcq4IOAgMexuygyFSJp5V6wI/0Ny6W68DKnfAiE",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct{ name, got, want string }{
		{"token literal", c.HTTP.Tokens["room1"], "room1-token-0123456789"},
		{"token from env", c.HTTP.Tokens["li"], "li-token-from-env-0001"},
		{"user from env", c.MQTT.Embedded.Users["lightboxes"].Password, "lightbox-password"},
		{"user hash", c.MQTT.Embedded.Users["bench"].PasswordHash[:10], "$argon2id$"},
		{"max packet", strconv.Itoa(c.MQTT.Embedded.MaxPacketSize), "131072"},
		{"connect timeout", c.MQTT.Embedded.ConnectTimeout.String(), "5s"},
		{"max connecting", strconv.Itoa(c.MQTT.Embedded.MaxConnecting), "64"},
		{"relative cert", c.MQTT.Embedded.TLS.Cert, filepath.Join("testdata", "tls", "gw.crt")},
		{"absolute key kept", c.MQTT.Embedded.TLS.Key, "/etc/gw/gw.key"},
		{"https cert next to the file", c.HTTP.TLS.Cert, filepath.Join("testdata", "tls", "http.crt")},
		{"https key next to the file", c.HTTP.TLS.Key, filepath.Join("testdata", "tls", "http.key")},
		{"allowed hosts", strings.Join(c.HTTP.AllowedHosts, " "), "gw.lianhua.lan 192.168.1.10"},
		{"trusted proxies", strings.Join(c.HTTP.TrustedProxies, " "), "127.0.0.1 10.8.0.0/16 fd00::/8"},
		{"registry", c.Registry, filepath.Join("testdata", "reg", "registry.yaml")},
		{"rules", c.Rules, filepath.Join("testdata", "rules.yaml")},
		{"topic_root", c.MQTT.TopicRoot, "site/lianhua/v1"},
		{"influx bucket", c.Influx.Bucket, "gw"},
		{"log", c.Log.Level + "/" + c.Log.Format, "debug/json"},
		{"admin from env", c.HTTP.Users["admin"].Role + " " + c.HTTP.Users["admin"].PasswordHash[:10], "admin $argon2id$"},
		{"installer", c.HTTP.Users["fitter"].Role + " " + c.HTTP.Users["fitter"].PasswordHash[:4], "installer $2a$"},
		{"sessions", fmt.Sprint(c.HTTP.Sessions), "{30m0s 24h0m0s 3}"},
		{"uplink password from env", c.Uplink.Password, "uplink-password"},
		{"uplink CA next to the file", c.Uplink.TLS.CA, filepath.Join("testdata", "tls", "county-ca.crt")},
		{"uplink client id", c.Uplink.ClientID, "gridwatchd-" + c.Site + "-uplink"},
		{"uplink summary", c.Uplink.SummaryEvery.String() + " " + strconv.FormatInt(c.Uplink.OutboxMaxBytes, 10), "1m0s 67108864"},
		{"uplink request max age", c.Uplink.RequestMaxAge.String(), "5m0s"},
	} {
		if x.got != x.want {
			t.Errorf("%s = %q, want %q", x.name, x.got, x.want)
		}
	}
	if c.RegistryOptional() {
		t.Error("a named registry must not be optional")
	}
	if c.HTTP.StreamsPerUser != 8 {
		t.Errorf("http.streams_per_user = %d, want 8", c.HTTP.StreamsPerUser)
	}
	if c.AnonymousAllowed() {
		t.Error("anonymous allowed by default with a non-loopback TLS listener")
	}
	want := Ingest{MaxPayload: 1024, DeviceRate: 2.5, DeviceBurst: 5, DedupeWindow: time.Hour}
	if c.Ingest != want {
		t.Errorf("ingest = %+v, want %+v", c.Ingest, want)
	}
	wantClips := Clips{PreRoll: 15 * time.Second, PostRoll: 10 * time.Second, RingBytes: 8 << 20, MaxAge: 168 * time.Hour,
		MaxBytes: 10 << 30, MinFreeBytes: 512 << 20, Workers: 2, FFmpeg: "/usr/bin/ffmpeg"}
	if c.Clips != wantClips {
		t.Errorf("clips = %+v, want %+v", c.Clips, wantClips)
	}
	if d := Default().Clips; d.PreRoll != 30*time.Second || d.PostRoll != 20*time.Second || d.MaxAge != 720*time.Hour || d.MaxBytes != 20<<30 {
		t.Errorf("default clips = %+v, want pre 30s, post 20s, 720h, 20 GiB", d)
	}
	if c.Delivery.FallbackAfter != 45*time.Second {
		t.Errorf("delivery.fallback_after = %v, want 45s", c.Delivery.FallbackAfter)
	}
	// red is replaced whole; the others keep their defaults.
	red := c.Escalation[event.Red].Steps
	if len(red) != 2 || red[1].After != 30*time.Second || red[1].Staff[0] != "cmd1" || red[1].Roles[0] != registry.Police {
		t.Errorf("red = %+v", red)
	}
	def := escalate.DefaultPolicies()
	for _, sev := range []event.Severity{event.Orange, event.Yellow, event.Blue} {
		if got, want := len(c.Escalation[sev].Steps), len(def[sev].Steps); got != want {
			t.Errorf("%s has %d steps, want the default %d", sev, got, want)
		}
	}
}

// TestLoadBadFiles checks that each bad fixture reports all its problems
// with their lines; testdata/NAME.err holds them without the file name.
func TestLoadBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/bad-*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want, err := os.ReadFile(strings.TrimSuffix(f, ".yaml") + ".err")
			if err != nil {
				t.Fatal(err)
			}
			_, err = parseFile(t, f, nil)
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("load: %v, want *Errors", err)
			}
			var got []string
			for _, p := range errs.Problems {
				got = append(got, strings.TrimPrefix(p.String(), f+":"))
			}
			if g, w := strings.Join(got, "\n"), strings.TrimSpace(string(want)); g != w {
				t.Errorf("problems:\n%s\nwant:\n%s", g, w)
			}
		})
	}
}

func TestLoadEnv(t *testing.T) {
	const file = "http:\n  tokens:\n    wang: env:GW_TEST_WANG\n"
	for _, c := range []struct {
		name string
		env  map[string]string
		want string // the problem, or "" and the token is the env value
	}{
		{"set", map[string]string{"GW_TEST_WANG": "wang-token-0123456789"}, ""},
		{"unset", nil, "gw.yaml:3: http.tokens.wang: environment variable GW_TEST_WANG is not set"},
		{"empty", map[string]string{"GW_TEST_WANG": ""}, "gw.yaml:3: http.tokens.wang: environment variable GW_TEST_WANG is empty"},
		{"too short", map[string]string{"GW_TEST_WANG": "short"}, "gw.yaml:3: http.tokens.wang: token shorter than 16 characters"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parse("gw.yaml", []byte(file), testEnv(c.env))
			if c.want == "" {
				if err != nil || cfg.HTTP.Tokens["wang"] != c.env["GW_TEST_WANG"] {
					t.Fatalf("token %q, err %v", cfg.HTTP.Tokens["wang"], err)
				}
				return
			}
			if err == nil || err.Error() != c.want {
				t.Fatalf("err = %v, want %s", err, c.want)
			}
		})
	}
	t.Run("bad name", func(t *testing.T) {
		_, err := parse("gw.yaml", []byte("influx: {url: 'http://i:8086', org: o, bucket: b, token: 'env:1X'}\n"), testEnv(nil))
		if err == nil || !strings.Contains(err.Error(), `influx.token: "1X" is not a valid environment variable name`) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestMetricsToken: http.metrics_token may come from the environment and
// must be at least 16 characters.
func TestMetricsToken(t *testing.T) {
	const file = "http:\n  metrics_token: env:GW_TEST_SCRAPE\n"
	cfg, err := parse("gw.yaml", []byte(file), testEnv(map[string]string{"GW_TEST_SCRAPE": "scrape-token-0123456789"}))
	if err != nil || cfg.HTTP.MetricsToken != "scrape-token-0123456789" {
		t.Fatalf("metrics_token %q, err %v", cfg.HTTP.MetricsToken, err)
	}
	_, err = parse("gw.yaml", []byte("http: {metrics_token: short}\n"), testEnv(nil))
	if err == nil || !strings.Contains(err.Error(), "gw.yaml:1: http.metrics_token: 5 characters: want at least 16") {
		t.Fatalf("short token: %v", err)
	}
}

// TestLoadReadsEnvironment checks that Load itself reads the process
// environment.
func TestLoadReadsEnvironment(t *testing.T) {
	t.Setenv("GW_TEST_MQTT_PASSWORD", "from-the-environment")
	path := filepath.Join(t.TempDir(), "gw.yaml")
	text := "mqtt:\n  url: tcp://broker:1883\n  username: gw\n  password: env:GW_TEST_MQTT_PASSWORD\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.MQTT.Password != "from-the-environment" || c.EmbeddedBroker() {
		t.Errorf("mqtt = %+v", c.MQTT)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestLoadShapes(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"empty file", "", ""},
		{"comments only", "# nothing\n", ""},
		{"null sections keep defaults", "http:\nmqtt: ~\nregistry: ~\n", ""},
		{"top-level list", "- a\n", "f.yaml:1: want a mapping, got a list"},
		{"two documents", "site: a\n---\nsite: b\n", "f.yaml:2: a second YAML document; the config file holds exactly one"},
		{"syntax", "site: a\n\tlog: x\n", "f.yaml:2: found a tab character that violates indentation"},
		{"merge key", "d: &d {level: info}\nlog: {<<: *d}\n", "f.yaml:1: unknown field \"d\"\nf.yaml:2: log: merge keys (<<) are not supported"},
		{"alias", "x: &l debug\n", "f.yaml:1: unknown field \"x\""},
		{"nested unknown", "mqtt: {embedded: {tls: {port: 1}}}\n", "f.yaml:1: mqtt.embedded.tls: unknown field \"port\" (want listen, cert, key)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parse("f.yaml", []byte(c.yaml), testEnv(nil))
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.HTTP.Listen != DefaultHTTPListen || !cfg.RegistryOptional() {
					t.Errorf("defaults lost: %+v", cfg)
				}
				return
			}
			if err == nil || err.Error() != c.want {
				t.Fatalf("err:\n%v\nwant:\n%s", err, c.want)
			}
		})
	}
}

// TestDeployFiles keeps the shipped configurations loadable.
func TestDeployFiles(t *testing.T) {
	demo, err := Load("../../deploy/demo/gridwatch.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if demo.AuthEnabled() || !demo.AnonymousAllowed() || demo.Site != "lianhua" || demo.RegistryOptional() {
		t.Errorf("demo = %+v", demo)
	}
	if _, err := registry.Load(demo.Registry); err != nil {
		t.Errorf("demo registry: %v", err)
	}
	env := map[string]string{}
	for _, n := range []string{"TOKEN_ROOM1", "TOKEN_LI", "TOKEN_CMD1", "INFLUX_TOKEN"} {
		env["GRIDWATCH_"+n] = "secret-" + strings.ToLower(n) + "-0123456789"
	}
	env["GRIDWATCH_MQTT_BENCH_HASH"] = "$argon2id$v=19$m=19456,t=2,p=1$d0aNz7RptawCU4gLRlFOFg$uDq3Vcq4IOAgMexuygyFSJp5V6wI/0Ny6W68DKnfAiE"
	env["GRIDWATCH_ADMIN_HASH"] = env["GRIDWATCH_MQTT_BENCH_HASH"]
	prod, err := parseFile(t, "../../deploy/config/gridwatch.example.yaml", env)
	if err != nil {
		t.Fatal(err)
	}
	if !prod.AuthEnabled() || prod.AnonymousAllowed() || len(prod.HTTP.Tokens) != 3 || prod.HTTP.Users["admin"].Role != RoleAdmin {
		t.Errorf("example = %+v", prod)
	}
	// Every MQTT user of the example is an id with a hash: no shared
	// logins, which per-id ACLs would lock out of every topic.
	for u, c := range prod.MQTT.Embedded.Users {
		if c.PasswordHash == "" || !registry.ValidID(u) {
			t.Errorf("example MQTT user %q: %+v, want an id with a password_hash", u, c)
		}
	}
	// Its registry gives every device and staff member its own login.
	reg, err := registry.Load("../../deploy/config/registry.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range reg.Devices() {
		if _, ok := reg.Credential(d.ID); !ok {
			t.Errorf("example registry: device %s has no password_hash", d.ID)
		}
	}
	for _, s := range reg.StaffList() {
		if _, ok := reg.Credential(s.ID); !ok {
			t.Errorf("example registry: staff %s has no password_hash", s.ID)
		}
	}
}
