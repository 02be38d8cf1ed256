package config

import (
	"net/url"
	"slices"
	"time"
)

// Uplink is the link to the county's MQTT cluster (the county tier): the
// gateway forwards every alarm's lifecycle, device presence changes and
// a periodic summary there, and takes the county staff's requests back.
// Off while URL is empty. The community never depends on it: alarms
// escalate locally whether or not the county is reachable.
type Uplink struct {
	// URL of the county's broker: tcp://, ssl://, tls://, mqtt://,
	// mqtts://, ws:// or wss://.
	URL string `yaml:"url"`
	// County names the county; topics are
	// gridwatch/v1/county/{county}/site/{site}/…
	County   string    `yaml:"county"`
	Username string    `yaml:"username"`
	Password string    `yaml:"password"` // may be "env:NAME"
	TLS      UplinkTLS `yaml:"tls"`
	// ClientID is the uplink's MQTT client id; empty means
	// "gridwatchd-{site}-uplink".
	ClientID string `yaml:"client_id"`
	// SummaryEvery is how often the site summary goes up.
	SummaryEvery time.Duration `yaml:"summary_every"`
	// OutboxMaxBytes bounds the records waiting in the outbox
	// (DataDir/uplink.db) while the county is unreachable; over it the
	// oldest summaries are shed, then presence changes. Alarm records are
	// never shed.
	OutboxMaxBytes int64 `yaml:"outbox_max_bytes"`
	// RequestMaxAge is how old a county request may be (by its at_ms)
	// when it arrives; an older one, held in a broker through an outage,
	// is refused rather than acted on late. Requests dated up to two
	// minutes ahead of the gateway's clock pass (clock skew). Set, it
	// also refuses requests without at_ms (they cannot be dated); 0 (not
	// set) is DefaultRequestMaxAge for dated requests and lets undated
	// ones pass, as before the key existed.
	RequestMaxAge time.Duration `yaml:"request_max_age"`
}

// UplinkTLS is the uplink's TLS: a CA to trust the county's broker by
// (empty: the system's), and a client certificate (cert and key, both or
// neither).
type UplinkTLS struct {
	CA   string `yaml:"ca"`
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Uplink defaults and bounds.
const (
	DefaultSummaryEvery   = 30 * time.Second
	DefaultOutboxMaxBytes = 256 << 20 // 256 MiB: days of alarms at any county's rate
	MinSummaryEvery       = 5 * time.Second
	MaxSummaryEvery       = time.Hour
	MinOutboxBytes        = 1 << 20
	DefaultRequestMaxAge  = 10 * time.Minute
	MinRequestMaxAge      = 30 * time.Second
	MaxRequestMaxAge      = 24 * time.Hour
)

// Enabled reports whether the uplink is on.
func (u Uplink) Enabled() bool { return u.URL != "" }

// topicSafe reports whether s may be a topic level on every county
// broker: 1 to 64 of A-Z a-z 0-9 _ -. No '.', which NATS's MQTT maps to
// its own subject separator, and no MQTT wildcards.
func topicSafe(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

func (c Config) checkUplink(k *checker) {
	u := c.Uplink
	if !u.Enabled() {
		if u.County != "" || u.Username != "" || u.Password != "" || u.TLS != (UplinkTLS{}) {
			k.add("uplink.url", "empty, yet other uplink keys are set")
		}
		return
	}
	p, err := url.Parse(u.URL)
	switch {
	case err != nil:
		k.add("uplink.url", "%q: %v", u.URL, err)
	case !slices.Contains([]string{"tcp", "ssl", "tls", "mqtt", "mqtts", "ws", "wss"}, p.Scheme):
		k.add("uplink.url", "%q: scheme must be tcp, ssl, tls, mqtt, mqtts, ws or wss", u.URL)
	case p.Host == "":
		k.add("uplink.url", "%q: no host", u.URL)
	}
	if !topicSafe(u.County) {
		k.add("uplink.county", "%q: want 1 to 64 characters from A-Z a-z 0-9 _ - (a topic level on every county broker)", u.County)
	}
	if !topicSafe(c.Site) {
		k.add("site", "%q: with an uplink, want 1 to 64 characters from A-Z a-z 0-9 _ - (no '.': a topic level on every county broker)", c.Site)
	}
	if !topicSafe(u.ClientID) {
		k.add("uplink.client_id", "%q: want 1 to 64 characters from A-Z a-z 0-9 _ -", u.ClientID)
	}
	if u.Password != "" && u.Username == "" {
		k.add("uplink.password", "given without uplink.username")
	}
	if (u.TLS.Cert == "") != (u.TLS.Key == "") {
		k.add("uplink.tls", "cert and key go together: give both or neither")
	}
	if d := u.SummaryEvery; d < MinSummaryEvery || d > MaxSummaryEvery {
		k.add("uplink.summary_every", "%v: want %v to %v", d, MinSummaryEvery, MaxSummaryEvery)
	}
	if u.OutboxMaxBytes < MinOutboxBytes {
		k.add("uplink.outbox_max_bytes", "%d: want at least %d", u.OutboxMaxBytes, MinOutboxBytes)
	}
	// 0 (a Config built in Go without it) is the default; the uplink reads it so.
	if d := u.RequestMaxAge; d != 0 && (d < MinRequestMaxAge || d > MaxRequestMaxAge) {
		k.add("uplink.request_max_age", "%v: want %v to %v", d, MinRequestMaxAge, MaxRequestMaxAge)
	}
}
