package config

import (
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/escalate"
)

func ptr[T any](v T) *T { return &v }

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	if !c.AuthEnabled() || !c.AnonymousAllowed() || !c.EmbeddedBroker() || !c.RegistryOptional() {
		t.Error("defaults: want auth on, anonymous on loopback, embedded broker, optional registry")
	}
	if c.Ingest != (Ingest{MaxPayload: 65536, DeviceRate: 20, DeviceBurst: 50, DedupeWindow: 10 * time.Minute}) {
		t.Errorf("ingest defaults = %+v", c.Ingest)
	}
	if c.DataDir != "./data" || c.Registry != "registry.yaml" || c.Rules != "" || c.Influx.URL != "" {
		t.Errorf("path defaults = %q %q %q %q", c.DataDir, c.Registry, c.Rules, c.Influx.URL)
	}
	if len(c.Escalation) != 4 {
		t.Errorf("escalation defaults = %v", c.Escalation)
	}
	// Default returns a fresh tree each time: changing one leaves the next alone.
	c.Escalation[event.Red] = escalate.Policy{}
	if len(Default().Escalation[event.Red].Steps) == 0 {
		t.Error("Default shares its escalation map between calls")
	}
}

// TestValidateRules changes one thing in Default per case and expects
// exactly the problems listed ("" means valid).
func TestValidateRules(t *testing.T) {
	cases := []struct {
		name   string
		change func(c *Config)
		want   string
	}{
		{"auth off on loopback", func(c *Config) { c.HTTP.Auth = ptr(false) }, ""},
		{"auth off on localhost", func(c *Config) { c.HTTP.Auth = ptr(false); c.HTTP.Listen = "localhost:80" }, ""},
		{"auth off on ::1", func(c *Config) { c.HTTP.Auth = ptr(false); c.HTTP.Listen = "[::1]:80" }, ""},
		{"auth off on all interfaces", func(c *Config) { c.HTTP.Auth = ptr(false); c.HTTP.Listen = ":8080" },
			`http.auth: false is allowed only on a loopback listen address, not ":8080"`},
		{"http listen without port", func(c *Config) { c.HTTP.Listen = "127.0.0.1" },
			`http.listen: "127.0.0.1": want host:port, e.g. 127.0.0.1:8080`},
		{"http port too big", func(c *Config) { c.HTTP.Listen = "127.0.0.1:70000" },
			`http.listen: "127.0.0.1:70000": want host:port, e.g. 127.0.0.1:8080`},
		{"shared token", func(c *Config) {
			c.HTTP.Tokens = map[string]string{"a": "same-token-0123456789", "b": "same-token-0123456789"}
		}, "http.tokens.b: same token as a: a token must name one person"},
		{"anonymous on a public listener", func(c *Config) {
			c.MQTT.Embedded.Listen = "0.0.0.0:1883"
			c.MQTT.Embedded.AllowAnonymous = ptr(true)
			c.MQTT.Embedded.Users = map[string]MQTTUser{"u": {Password: "p"}}
		}, "mqtt.embedded.allow_anonymous: true is allowed only when the broker listens on loopback addresses"},
		// Devices and phones log in with their registry entries'
		// password_hash, so no config users is fine.
		{"public listener without config users", func(c *Config) { c.MQTT.Embedded.Listen = "0.0.0.0:1883" }, ""},
		{"public listener with users", func(c *Config) {
			c.MQTT.Embedded.Listen = "0.0.0.0:1883"
			c.MQTT.Embedded.Users = map[string]MQTTUser{"u": {Password: "p"}}
		}, ""},
		{"empty user password", func(c *Config) { c.MQTT.Embedded.Users = map[string]MQTTUser{"u": {}} },
			"mqtt.embedded.users.u: no password_hash (or password)"},
		{"no broker listener", func(c *Config) { c.MQTT.Embedded.Listen = "" },
			"mqtt.embedded.listen: the embedded broker needs a listen or a tls.listen address"},
		{"tls only", func(c *Config) {
			c.MQTT.Embedded.Listen = ""
			c.MQTT.Embedded.TLS = TLS{Listen: "127.0.0.1:8883", Cert: "c", Key: "k"}
		}, ""},
		{"tls without key", func(c *Config) { c.MQTT.Embedded.TLS = TLS{Listen: "127.0.0.1:8883", Cert: "c"} },
			"mqtt.embedded.tls.key: must not be empty"},
		{"broker on the http port", func(c *Config) { c.MQTT.Embedded.Listen = c.HTTP.Listen },
			`mqtt.embedded.listen: "127.0.0.1:8080" is also http.listen`},
		{"topic root empty", func(c *Config) { c.MQTT.TopicRoot = "" }, "mqtt.topic_root: must not be empty"},
		{"topic root +", func(c *Config) { c.MQTT.TopicRoot = "a/+/b" }, `mqtt.topic_root: "a/+/b": must not contain the wildcards + or #`},
		{"topic root trailing /", func(c *Config) { c.MQTT.TopicRoot = "a/" }, `mqtt.topic_root: "a/": no leading, trailing or doubled '/'`},
		{"topic root leading /", func(c *Config) { c.MQTT.TopicRoot = "/a" }, `mqtt.topic_root: "/a": no leading, trailing or doubled '/'`},
		{"topic root $SYS", func(c *Config) { c.MQTT.TopicRoot = "$SYS/x" }, `mqtt.topic_root: "$SYS/x": topics starting with $ are the broker's`},
		{"external broker", func(c *Config) {
			c.MQTT.URL = "ssl://broker.example:8883"
			c.MQTT.Username = "gw"
			c.MQTT.Password = "pw"
		}, ""},
		{"external broker ws", func(c *Config) { c.MQTT.URL = "wss://broker.example/mqtt" }, ""},
		{"external broker bad scheme", func(c *Config) { c.MQTT.URL = "http://broker:1883" },
			`mqtt.url: "http://broker:1883": scheme must be tcp, ssl, tls, mqtt, mqtts, ws or wss`},
		{"external broker no host", func(c *Config) { c.MQTT.URL = "tcp://" }, `mqtt.url: "tcp://": no host`},
		{"external broker unparsable", func(c *Config) { c.MQTT.URL = "tcp://a b:1883" },
			`mqtt.url: "tcp://a b:1883": parse "tcp://a b:1883": invalid character " " in host name`},
		{"external broker ignores the embedded listeners", func(c *Config) {
			c.MQTT.URL = "tcp://broker:1883"
			c.MQTT.Embedded.Listen = "0.0.0.0:1883"
		}, ""},
		{"credentials without external broker", func(c *Config) { c.MQTT.Username = "gw" },
			"mqtt.username: username and password are for an external broker (mqtt.url), which is not set"},
		{"influx on", func(c *Config) {
			c.Influx.URL, c.Influx.Token, c.Influx.Org, c.Influx.Bucket = "https://influx:8086", "t", "o", "b"
		}, ""},
		{"influx half set", func(c *Config) { c.Influx.Bucket = "b" },
			"influx.url: empty (telemetry is not written anywhere), yet token, org or bucket is set"},
		{"influx 1.8: no org", func(c *Config) {
			c.Influx.URL, c.Influx.Token, c.Influx.Bucket = "http://influx:8086", "user:pass", "db/rp"
		}, ""},
		{"influx no bucket", func(c *Config) { c.Influx.URL, c.Influx.Token, c.Influx.Org = "http://influx:8086", "t", "o" },
			"influx.bucket: must not be empty"},
		{"spool too small", func(c *Config) { c.Influx.SpoolMaxBytes = 1000 }, "influx.spool_max_bytes: 1000: want at least 65536 bytes (0: the default, 1073741824)"},
		{"spool free floor negative", func(c *Config) { c.Influx.SpoolMinFreeBytes = -1 }, "influx.spool_min_free_bytes: -1: want 0 or more bytes"},
		{"spool free floor off", func(c *Config) { c.Influx.SpoolMinFreeBytes = 0 }, ""},
		{"journal kept for ever", func(c *Config) { c.Journal = Journal{} }, ""},
		{"journal bounds negative", func(c *Config) { c.Journal = Journal{MaxAge: -time.Hour, MaxBytes: -1} },
			"journal.max_age: -1h0m0s: want 0 (no age bound) or a positive duration\njournal.max_bytes: -1: want 0 (no size bound) or more bytes"},
		{"site with a space", func(c *Config) { c.Site = "a b" }, `site: "a b": want 1 to 64 characters from A-Z a-z 0-9 . _ -`},
		{"rate infinite", func(c *Config) { c.Ingest.DeviceRate = math.Inf(1) }, "ingest.device_rate: +Inf: want a positive number of events per second"},
		{"rate NaN", func(c *Config) { c.Ingest.DeviceRate = math.NaN() }, "ingest.device_rate: NaN: want a positive number of events per second"},
		{"payload too big", func(c *Config) { c.Ingest.MaxPayload = MaxMQTTPacket + 1 }, "ingest.max_payload: 268435456: want 1..268435455 bytes"},
		{"severity missing", func(c *Config) { delete(c.Escalation, event.Blue) }, "escalation: no policy for blue"},
		{"negative first step", func(c *Config) {
			c.Escalation[event.Blue] = escalate.Policy{Steps: []escalate.Step{{After: -time.Second, Roles: []registry.Role{registry.SecurityRoom}}}}
		}, "escalation.blue.steps[0].after: -1s: must not be negative"},
		{"equal waits are fine", func(c *Config) {
			r := []registry.Role{registry.SecurityRoom}
			c.Escalation[event.Blue] = escalate.Policy{Steps: []escalate.Step{{Roles: r}, {Roles: r}}}
		}, ""},
		{"bad staff id", func(c *Config) {
			c.Escalation[event.Blue] = escalate.Policy{Steps: []escalate.Step{{Staff: []string{"a/b"}}}}
		}, `escalation.blue.steps[0].staff[0]: "a/b" is not a valid staff id`},
		{"empty registry path", func(c *Config) { c.Registry = "" }, "registry: must not be empty"},
		{"a step paging a group only", func(c *Config) {
			c.Escalation[event.Blue] = escalate.Policy{Steps: []escalate.Step{{Groups: []string{"night-duty"}}}}
		}, ""},
		{"repeat below the minimum", func(c *Config) {
			c.Escalation[event.Blue] = escalate.Policy{Steps: []escalate.Step{{Roles: []registry.Role{registry.SecurityRoom}, Repeat: 5 * time.Second}}}
		}, "escalation.blue.steps[0].repeat: 5s: below the minimum 10s (repeating a page more often floods the people it pages); give 0 for no repeat, or 10s or more"},
		{"repeat at the minimum", func(c *Config) {
			c.Escalation[event.Blue] = escalate.Policy{Steps: []escalate.Step{{Roles: []registry.Role{registry.SecurityRoom}, Repeat: 10 * time.Second}}}
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Default()
			c.change(&cfg)
			err := cfg.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if err == nil || err.Error() != c.want {
				t.Fatalf("Validate() =\n%v\nwant:\n%s", err, c.want)
			}
		})
	}
}

// TestValidateReportsEverything breaks several things at once and expects
// every one of them back.
func TestValidateReportsEverything(t *testing.T) {
	c := Default()
	c.HTTP.Auth = ptr(false)
	c.HTTP.Listen = "0.0.0.0:8080"
	c.MQTT.TopicRoot = "x/#"
	c.Ingest.DeviceBurst = 0
	c.Log.Level = "verbose"
	c.Escalation[event.Red] = escalate.Policy{Steps: []escalate.Step{
		{After: time.Minute, Roles: []registry.Role{registry.GridMember}},
		{After: time.Second, Roles: []registry.Role{"mayor"}},
	}}
	err := c.Validate()
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Validate() = %v, want *Errors", err)
	}
	var keys []string
	for _, p := range errs.Problems {
		keys = append(keys, p.Subject)
	}
	want := "http.auth mqtt.topic_root ingest.device_burst escalation.red.steps[1].after escalation.red.steps[1].roles[0] log.level"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("problem keys:\n%s\nwant:\n%s\n(%v)", got, want, err)
	}
}

func TestAnonymousDefault(t *testing.T) {
	for _, c := range []struct {
		listen, tls string
		set         *bool
		want        bool
	}{
		{"127.0.0.1:1883", "", nil, true},
		{"localhost:1883", "127.0.0.1:8883", nil, true},
		{"0.0.0.0:1883", "", nil, false},
		{"127.0.0.1:1883", "0.0.0.0:8883", nil, false}, // the TLS listener is public
		{":1883", "", nil, false},
		{"127.0.0.1:1883", "", ptr(false), false},
		{"0.0.0.0:1883", "", ptr(true), true}, // Validate refuses it; the accessor reports it
	} {
		cfg := Default()
		cfg.MQTT.Embedded.Listen, cfg.MQTT.Embedded.TLS.Listen = c.listen, c.tls
		cfg.MQTT.Embedded.AllowAnonymous = c.set
		if got := cfg.AnonymousAllowed(); got != c.want {
			t.Errorf("listen %q tls %q set %v: AnonymousAllowed = %v, want %v", c.listen, c.tls, c.set, got, c.want)
		}
	}
}

func TestSlogLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError} {
		if got := (Log{Level: in}).SlogLevel(); got != want {
			t.Errorf("SlogLevel(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestWebhookValidation(t *testing.T) {
	for _, tt := range []struct {
		name string
		w    Webhook
		want string
	}{
		{"off", Webhook{}, ""},
		{"on", Webhook{URL: "https://grid.example/hook", Secret: "0123456789abcdef"}, ""},
		{"secret without url", Webhook{Secret: "0123456789abcdef"}, "webhook.url: empty, yet a secret is set"},
		{"bad scheme", Webhook{URL: "ftp://grid.example/hook", Secret: "0123456789abcdef"}, `webhook.url: "ftp://grid.example/hook"`},
		{"short secret", Webhook{URL: "https://grid.example/hook", Secret: "short"}, "webhook.secret: at least 16 characters"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Webhook = tt.w
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSMSValidation(t *testing.T) {
	const body = `{"to": {{json .Phone}}, "text": {{json .Text}}}`
	for _, tt := range []struct {
		name string
		s    SMS
		want string
	}{
		{"off", SMS{}, ""},
		{"on", SMS{URL: "https://sms.example/send", Body: body, Check: &SMSCheck{Field: "code", Equals: "0"}}, ""},
		{"body without url", SMS{Body: body}, "sms.url: empty, yet other sms keys are set"},
		{"no body", SMS{URL: "https://sms.example/send"}, "sms.body: required with sms.url"},
		{"bad method", SMS{URL: "https://sms.example/send", Body: body, Method: "DELETE"}, `sms.method: "DELETE"`},
		{"check without field", SMS{URL: "https://sms.example/send", Body: body, Check: &SMSCheck{}}, "sms.check.field: required"},
		{"bad template", SMS{URL: "https://sms.example/send", Body: `{{json .Phone`}, "sms.body: bad template"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.SMS = tt.s
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}
