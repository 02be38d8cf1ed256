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
	// Journal bounds the event journal in DataDir/journal.
	Journal Journal `yaml:"journal"`
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
	// Clips are the alarms' video evidence (DataDir/clips).
	Clips Clips `yaml:"clips"`
	// Uplink, when its URL is set, links the gateway to its county's MQTT
	// cluster (see Uplink).
	Uplink Uplink `yaml:"uplink"`

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
	// TLS, when its cert and key are set, serves HTTPS only on Listen.
	TLS HTTPTLS `yaml:"tls"`
	// AllowedHosts are host names, besides loopback ones, that requests
	// may name in their Host header. With auth off (or when this list is
	// given) any other Host is refused, against DNS rebinding.
	AllowedHosts []string `yaml:"allowed_hosts"`
	// TrustedProxies are the reverse proxies (IP addresses or CIDR
	// blocks) whose X-Forwarded-For header names the client: only a
	// request whose TCP peer is one of them is taken as from the
	// rightmost address in the header that is not a trusted proxy. Empty
	// (the default), the header is never believed.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// StreamsPerUser bounds the live event streams one staff member may
	// hold open at once.
	StreamsPerUser int `yaml:"streams_per_user"`
	// Users are the accounts of the config file itself, besides the
	// registry's staff (who log in with their own password_hash): the
	// site's admins and installers. See HTTPUser.
	Users map[string]HTTPUser `yaml:"users"`
	// Sessions bounds the browser sessions of POST /api/v1/session.
	Sessions Sessions `yaml:"sessions"`
	// MetricsToken, when set, is the bearer token /metrics requires (a
	// scraper's, at least 16 characters; may be "env:NAME"). Unset,
	// /metrics is open to whoever reaches the listener.
	MetricsToken string `yaml:"metrics_token"`
}

// HTTPUser is an account of the config file. Its name is an id
// ([A-Za-z0-9._-]{1,64}) that is no staff id of the registry.
type HTTPUser struct {
	// Role is admin (every action on the whole site) or installer (reads
	// the whole site and sets silences for test runs; acts on no alarm).
	Role string `yaml:"role"`
	// PasswordHash is argon2id or bcrypt, made with "gridwatchd passwd";
	// it may be "env:NAME".
	PasswordHash string `yaml:"password_hash"`
}

// The roles of HTTPUser.
const (
	RoleAdmin     = "admin"
	RoleInstaller = "installer"
)

// Sessions bounds the login sessions of the HTTP API.
type Sessions struct {
	// IdleTimeout ends a session not used for that long.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxAge ends a session that long after the login, used or not.
	MaxAge time.Duration `yaml:"max_age"`
	// PerUser bounds the sessions one account holds at once; a login past
	// it ends that account's oldest session.
	PerUser int `yaml:"per_user"`
}

// HTTPTLS is the HTTP API's certificate: both files or neither.
type HTTPTLS struct {
	Cert string `yaml:"cert"` // PEM certificate chain file
	Key  string `yaml:"key"`  // PEM private key file
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
	// Users are MQTT users of the config file itself (a tool, a bench
	// client), for when anonymous clients are not allowed. Devices and
	// staff phones log in with the password_hash of their registry entry
	// instead. A username is an id ([A-Za-z0-9._-]{1,64}): it is also the
	// {id} of the only topics it may use. See MQTTUser.
	Users map[string]MQTTUser `yaml:"users"`
	// MaxPacketSize is the largest MQTT packet the broker reads from a
	// client, in bytes; 0 means ingest.max_payload + DefaultPacketHeadroom.
	// A client claiming more is disconnected before anything is allocated.
	MaxPacketSize int `yaml:"max_packet_size"`
	// ConnectTimeout is how long a new connection has to send its CONNECT.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// MaxConnecting bounds the connections accepted that have not logged
	// in yet; more are closed at once.
	MaxConnecting int `yaml:"max_connecting"`

	// given is set when the config file had an mqtt.embedded section.
	given bool
}

// MQTTUser is one user's credential: password_hash (argon2id or bcrypt,
// made with "gridwatchd passwd"), or the password in clear text, which is
// still read but warned about at start. Written as a bare value
// ("lightbox: s3cret"), it is the password.
type MQTTUser struct {
	Password     string `yaml:"password"`      // may be "env:NAME"
	PasswordHash string `yaml:"password_hash"` // may be "env:NAME"
}

// UnmarshalScalar reads the bare-value form, a plain password.
func (u *MQTTUser) UnmarshalScalar(s string) error { u.Password = s; return nil }

// TLS is the broker's optional TLS listener. All three or none.
type TLS struct {
	Listen string `yaml:"listen"` // host:port; empty: no TLS listener
	Cert   string `yaml:"cert"`   // PEM certificate chain file
	Key    string `yaml:"key"`    // PEM private key file
}

// Influx is where telemetry (and event history) goes. With an empty URL
// telemetry is not written anywhere: devices' latest values are still
// shown by the API and the console, but no history is kept.
type Influx struct {
	URL    string `yaml:"url"`
	Token  string `yaml:"token"` // may be "env:NAME"
	Org    string `yaml:"org"`
	Bucket string `yaml:"bucket"`
	// SpoolMaxBytes bounds the telemetry spool (DataDir/spool) that holds
	// points while InfluxDB is away; past it the oldest points are dropped.
	// 0 means DefaultSpoolMaxBytes.
	SpoolMaxBytes int64 `yaml:"spool_max_bytes"`
	// SpoolMinFreeBytes is the free space on the data directory's
	// filesystem that the spools never take: below it telemetry is shed
	// (counted), so that the journal always has room for panics. 0 sets no
	// floor.
	SpoolMinFreeBytes int64 `yaml:"spool_min_free_bytes"`
}

// Journal is the retention of the event journal. A segment goes only once
// a restart no longer replays it (behind both the alarm store's checkpoint
// and the rules' snapshot), and the newest segment always stays.
type Journal struct {
	// MaxAge lets a segment go once its newest event is older; 0 keeps
	// segments of any age.
	MaxAge time.Duration `yaml:"max_age"`
	// MaxBytes lets the oldest segments go while the journal is larger; 0
	// sets no size bound.
	MaxBytes int64 `yaml:"max_bytes"`
	// HeadroomBytes is disk space the journal keeps allocated ahead of its
	// writes, so that presses are still taken after something else filled
	// the disk, for about that many bytes of events. 0: none.
	HeadroomBytes int64 `yaml:"headroom_bytes"`
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
	DefaultSite       = "gridwatch"
	DefaultDataDir    = "./data"
	DefaultHTTPListen = "127.0.0.1:8080"
	DefaultMQTTListen = "127.0.0.1:1883"
	// DefaultPacketHeadroom is what an MQTT packet may hold beyond its
	// payload (topic, packet id, v5 properties) by default.
	DefaultPacketHeadroom = 4 << 10
	DefaultConnectTimeout = 10 * time.Second
	DefaultMaxConnecting  = 256
	DefaultTopicRoot      = "gridwatch/v1"
	DefaultRegistry       = "registry.yaml"
	DefaultMaxPayload     = 64 << 10
	DefaultDeviceRate     = 20
	DefaultDeviceBurst    = 50
	DefaultDedupeWindow   = 10 * time.Minute
	// DefaultStreamsPerUser: a console, a wall screen, a laptop, a spare.
	DefaultStreamsPerUser = 4
	// Session defaults: a screen unused for a 12-hour shift logs out; one
	// in use logs in again once a week (as Grafana's defaults, tighter).
	DefaultSessionIdle    = 12 * time.Hour
	DefaultSessionMaxAge  = 7 * 24 * time.Hour
	DefaultSessionPerUser = 8

	DefaultSpoolMaxBytes     = 1 << 30   // 1 GiB
	DefaultSpoolMinFreeBytes = 256 << 20 // 256 MiB
	DefaultJournalMaxAge     = 30 * 24 * time.Hour
	DefaultJournalMaxBytes   = 1 << 30 // 1 GiB
	DefaultJournalHeadroom   = 8 << 20 // 8 MiB, some 25,000 events
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
		HTTP: HTTP{Listen: DefaultHTTPListen, StreamsPerUser: DefaultStreamsPerUser,
			Sessions: Sessions{IdleTimeout: DefaultSessionIdle, MaxAge: DefaultSessionMaxAge, PerUser: DefaultSessionPerUser}},
		MQTT: MQTT{
			Embedded:  Embedded{Listen: DefaultMQTTListen, ConnectTimeout: DefaultConnectTimeout, MaxConnecting: DefaultMaxConnecting},
			TopicRoot: DefaultTopicRoot,
		},
		Registry: DefaultRegistry,
		Influx:   Influx{SpoolMaxBytes: DefaultSpoolMaxBytes, SpoolMinFreeBytes: DefaultSpoolMinFreeBytes},
		Journal:  Journal{MaxAge: DefaultJournalMaxAge, MaxBytes: DefaultJournalMaxBytes, HeadroomBytes: DefaultJournalHeadroom},
		Ingest: Ingest{
			MaxPayload:   DefaultMaxPayload,
			DeviceRate:   DefaultDeviceRate,
			DeviceBurst:  DefaultDeviceBurst,
			DedupeWindow: DefaultDedupeWindow,
		},
		Escalation:      escalate.DefaultPolicies(),
		Delivery:        Delivery{FallbackAfter: DefaultFallbackAfter},
		Uplink:          Uplink{SummaryEvery: DefaultSummaryEvery, OutboxMaxBytes: DefaultOutboxMaxBytes},
		Log:             Log{Level: "info", Format: "text"},
		Clips:           defaultClips(),
		registryDefault: true,
	}
}

// fill sets the values derived from others.
func (c *Config) fill() {
	if c.MQTT.ClientID == "" {
		c.MQTT.ClientID = "gridwatchd-" + c.Site
	}
	if c.Uplink.ClientID == "" {
		c.Uplink.ClientID = "gridwatchd-" + c.Site + "-uplink"
	}
	if c.MQTT.Embedded.MaxPacketSize == 0 {
		c.MQTT.Embedded.MaxPacketSize = min(c.Ingest.MaxPayload+DefaultPacketHeadroom, MaxMQTTPacket)
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
