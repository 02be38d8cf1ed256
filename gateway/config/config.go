// Package config is the daemon's one YAML file: the Config tree, its
// defaults (every key has one, so gridwatchd runs with no file at all), a
// strict loader that reports every problem with its line, and Validate.
package config

import (
	"log/slog"
	"time"

	"github.com/gridwatch/gridwatch/rules/escalate"
)

// Config is the whole configuration of gridwatchd.
type Config struct {
	// Site names this gateway; it appears in client ids and metrics.
	Site string `yaml:"site"`
	// DataDir holds the journal, alarm store, telemetry spool and clips.
	DataDir string `yaml:"data_dir"`
	HTTP    HTTP   `yaml:"http"`
	MQTT    MQTT   `yaml:"mqtt"`
	Influx  Influx `yaml:"influx"`
	// Registry is the registry file (grid tree, staff, devices).
	Registry string `yaml:"registry"`
	// Rules is the rules file; empty means the built-in rule set.
	Rules  string `yaml:"rules"`
	Ingest Ingest `yaml:"ingest"`
	// Escalation is the escalation policy per severity. A severity given in
	// the file replaces that severity's default policy; the others keep
	// theirs.
	Escalation escalate.Policies `yaml:"escalation"`
	// Webhook, when its URL is set, also receives every page as signed
	// JSON (the city's grid platform, an upstream system).
	Webhook Webhook `yaml:"webhook"`
	// SMS, when its URL is set, is the fallback channel to a staff
	// member's phone number: used when the phone app is not connected to
	// the embedded broker or an MQTT page fails.
	SMS SMS `yaml:"sms"`
	// Delivery is how pages are followed until the person's phone
	// confirms them.
	Delivery Delivery `yaml:"delivery"`
	Log      Log      `yaml:"log"`

	// registryDefault is set while Registry is the default rather than a
	// file someone named; see RegistryOptional.
	registryDefault bool
}

// HTTP is the HTTP API, metrics and console listener.
type HTTP struct {
	// Listen is host:port.
	Listen string `yaml:"listen"`
	// Auth requires a bearer token on the API; nil means true. It may be
	// false only on a loopback listener.
	Auth *bool `yaml:"auth"`
	// Tokens maps a staff id to its bearer token. A value "env:NAME" is
	// read from the environment variable NAME when the file is loaded.
	Tokens map[string]string `yaml:"tokens"`
}

// MQTT is how the gateway reaches its broker: the embedded one (when URL is
// empty) or an external one at URL.
type MQTT struct {
	Embedded Embedded `yaml:"embedded"`
	// URL of an external broker (tcp://, ssl://, tls://, mqtt://, mqtts://,
	// ws://, wss://); empty runs the embedded broker.
	URL string `yaml:"url"`
	// TopicRoot is the root R of every topic (R/dev/{id}/evt, ...).
	TopicRoot string `yaml:"topic_root"`
	// ClientID is the gateway's MQTT client id; empty means
	// "gridwatchd-" + Site.
	ClientID string `yaml:"client_id"`
	// Username and Password log the gateway into an external broker.
	// Password may be "env:NAME".
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// Embedded is the built-in MQTT broker.
type Embedded struct {
	// Listen is the plain TCP listener, host:port.
	Listen string `yaml:"listen"`
	// AllowAnonymous lets clients connect without credentials. nil means
	// true when every listener of the broker is loopback-only, else false;
	// true is allowed only on loopback listeners.
	AllowAnonymous *bool `yaml:"allow_anonymous"`
	TLS            TLS   `yaml:"tls"`
	// Users maps a username to its password (devices, staff phones) for
	// when anonymous clients are not allowed. A value may be "env:NAME".
	Users map[string]string `yaml:"users"`

	// given is set when the config file had an mqtt.embedded section.
	given bool
}

// TLS is the broker's optional TLS listener. All three or none.
type TLS struct {
	Listen string `yaml:"listen"` // host:port; empty: no TLS listener
	Cert   string `yaml:"cert"`   // PEM certificate chain file
	Key    string `yaml:"key"`    // PEM private key file
}

// Influx is where telemetry goes; an empty URL keeps it in the local spool.
type Influx struct {
	URL    string `yaml:"url"`
	Token  string `yaml:"token"` // may be "env:NAME"
	Org    string `yaml:"org"`
	Bucket string `yaml:"bucket"`
}

// Ingest bounds what devices may send.
type Ingest struct {
	// MaxPayload is the largest accepted MQTT payload in bytes.
	MaxPayload int `yaml:"max_payload"`
	// DeviceRate is the sustained events per second allowed per device.
	DeviceRate float64 `yaml:"device_rate"`
	// DeviceBurst is how many events a device may send at once.
	DeviceBurst int `yaml:"device_burst"`
	// DedupeWindow is how long a device's event seq numbers are remembered
	// to drop duplicates.
	DedupeWindow time.Duration `yaml:"dedupe_window"`
}

// Delivery is how pages to staff are followed until the person's client
// confirms them (the phone's MQTT acknowledgement or its receipt).
type Delivery struct {
	// FallbackAfter is how long a page may wait for the phone app to
	// confirm it before it goes to SMS (where the person has a phone
	// number and sms: is configured).
	FallbackAfter time.Duration `yaml:"fallback_after"`
}

// Webhook is an HTTP endpoint that receives a copy of every page, POSTed
// as JSON and signed with HMAC-SHA256 (see gateway/deliver), through a
// durable outbox with retries.
type Webhook struct {
	URL    string `yaml:"url"`    // http:// or https://; empty: no webhook
	Secret string `yaml:"secret"` // the HMAC key, at least 16 characters; may be "env:NAME"
}

// SMS is an HTTP SMS (or voice) gateway, so that a real provider is one
// config block. URL, header values and Body are Go text/templates over
// .Staff, .Phone, .Text (a short ready message) and .Note (the whole
// notification); the function json quotes a value as JSON.
type SMS struct {
	URL     string            `yaml:"url"`     // http:// or https:// once rendered; empty: no SMS
	Method  string            `yaml:"method"`  // POST if empty
	Headers map[string]string `yaml:"headers"` // e.g. Content-Type, an API key (a value may be "env:NAME")
	Body    string            `yaml:"body"`    // required with url
	// Check, if set, must hold in the gateway's 2xx JSON answer.
	Check *SMSCheck `yaml:"check"`
}

// SMSCheck is a field of the SMS gateway's JSON answer that says it took
// the message: {field: result.code, equals: "0"}.
type SMSCheck struct {
	Field  string `yaml:"field"`
	Equals string `yaml:"equals"`
}

// Log is the daemon's logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text, json
}

// Defaults of the keys that have a plain value.
const (
	DefaultSite         = "gridwatch"
	DefaultDataDir      = "./data"
	DefaultHTTPListen   = "127.0.0.1:8080"
	DefaultMQTTListen   = "127.0.0.1:1883"
	DefaultTopicRoot    = "gridwatch/v1"
	DefaultRegistry     = "registry.yaml"
	DefaultMaxPayload   = 64 << 10
	DefaultDeviceRate   = 20
	DefaultDeviceBurst  = 50
	DefaultDedupeWindow = 10 * time.Minute
	// DefaultFallbackAfter is delivery.fallback_after.
	DefaultFallbackAfter = 30 * time.Second
	// MinFallbackAfter and MaxFallbackAfter bound delivery.fallback_after.
	MinFallbackAfter = time.Second
	MaxFallbackAfter = time.Hour
)

// Default returns the configuration used when there is no file: embedded
// broker on loopback, local data directory, built-in rules, default
// escalation.
func Default() Config {
	c := base()
	c.fill()
	return c
}

// base is Default before derived values are filled in.
func base() Config {
	return Config{
		Site:    DefaultSite,
		DataDir: DefaultDataDir,
		HTTP:    HTTP{Listen: DefaultHTTPListen},
		MQTT: MQTT{
			Embedded:  Embedded{Listen: DefaultMQTTListen},
			TopicRoot: DefaultTopicRoot,
		},
		Registry: DefaultRegistry,
		Ingest: Ingest{
			MaxPayload:   DefaultMaxPayload,
			DeviceRate:   DefaultDeviceRate,
			DeviceBurst:  DefaultDeviceBurst,
			DedupeWindow: DefaultDedupeWindow,
		},
		Escalation:      escalate.DefaultPolicies(),
		Delivery:        Delivery{FallbackAfter: DefaultFallbackAfter},
		Log:             Log{Level: "info", Format: "text"},
		registryDefault: true,
	}
}

// fill sets the values derived from others.
func (c *Config) fill() {
	if c.MQTT.ClientID == "" {
		c.MQTT.ClientID = "gridwatchd-" + c.Site
	}
}

// AuthEnabled reports whether the HTTP API requires a bearer token.
func (c Config) AuthEnabled() bool { return c.HTTP.Auth == nil || *c.HTTP.Auth }

// AnonymousAllowed reports whether the embedded broker lets clients in
// without credentials. Unset, that is the case exactly when all its
// listeners are loopback-only.
func (c Config) AnonymousAllowed() bool {
	if c.MQTT.Embedded.AllowAnonymous != nil {
		return *c.MQTT.Embedded.AllowAnonymous
	}
	return c.MQTT.Embedded.loopbackOnly()
}

// EmbeddedBroker reports whether the gateway runs its own broker (no
// external mqtt.url).
func (c Config) EmbeddedBroker() bool { return c.MQTT.URL == "" }

// RegistryOptional reports whether Registry is the default file rather than
// one the configuration named: a missing optional registry means an empty
// registry, a missing named one is an error.
func (c Config) RegistryOptional() bool { return c.registryDefault }

// SlogLevel is the log level as a slog.Level (info when unknown).
func (l Log) SlogLevel() slog.Level {
	switch l.Level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// loopbackOnly reports whether the broker has listeners and all of them
// are loopback-only.
func (e Embedded) loopbackOnly() bool {
	some := false
	for _, l := range []string{e.Listen, e.TLS.Listen} {
		if l == "" {
			continue
		}
		if !isLoopback(l) {
			return false
		}
		some = true
	}
	return some
}
