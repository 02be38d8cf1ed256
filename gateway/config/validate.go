package config

import (
	"fmt"
	"maps"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/passwd"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/escalate"
)

// Limits Validate holds values to.
const (
	MinTokenLen   = 16        // bearer tokens shorter than this are guessable
	MaxMQTTPacket = 268435455 // the largest payload MQTT can carry
	// minPacketHeadroom is the least room mqtt.embedded.max_packet_size
	// must leave beyond ingest.max_payload for a topic and packet id.
	minPacketHeadroom = 256
	MinSpoolBytes     = 64 << 10 // a spool smaller than this cannot hold a few segments
)

// Validate checks the configuration and returns every problem at once as
// *Errors, or nil.
func (c Config) Validate() error {
	return newErrors(c.check(func(key, format string, args ...any) Problem {
		return Problem{Subject: key, Msg: fmt.Sprintf(format, args...)}
	}))
}

// checker collects problems; at places them (file and line when known).
type checker struct {
	at    func(key, format string, args ...any) Problem
	probs []Problem
}

func (k *checker) add(key, format string, args ...any) {
	k.probs = append(k.probs, k.at(key, format, args...))
}

// check runs every rule of Validate.
func (c Config) check(at func(key, format string, args ...any) Problem) []Problem {
	k := &checker{at: at}
	if !registry.ValidID(c.Site) {
		k.add("site", "%q: want 1 to 64 characters from A-Z a-z 0-9 . _ -", c.Site)
	}
	k.required("data_dir", c.DataDir)
	k.required("registry", c.Registry)
	c.checkHTTP(k)
	c.checkMQTT(k)
	c.checkInflux(k)
	c.checkJournal(k)
	c.checkIngest(k)
	c.checkWebhook(k)
	c.checkSMS(k)
	c.checkUplink(k)
	c.checkEscalation(k)
	c.checkClips(k)
	if d := c.Delivery.FallbackAfter; d < MinFallbackAfter || d > MaxFallbackAfter {
		k.add("delivery.fallback_after", "%v: want %v to %v", d, MinFallbackAfter, MaxFallbackAfter)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		k.add("log.level", "%q: want debug, info, warn or error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		k.add("log.format", "%q: want text or json", c.Log.Format)
	}
	return k.probs
}

func (k *checker) required(key, v string) bool {
	if v == "" {
		k.add(key, "must not be empty")
		return false
	}
	return true
}

// listen checks a host:port listen address.
func (k *checker) listen(key, addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		if n, perr := strconv.Atoi(port); perr != nil || n < 0 || n > 65535 {
			err = fmt.Errorf("bad port %q", port)
		}
	}
	if err != nil {
		k.add(key, "%q: want host:port, e.g. 127.0.0.1:8080", addr)
		return false
	}
	return true
}

// isLoopback reports whether the listen address addr binds loopback only.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c Config) checkHTTP(k *checker) {
	h := c.HTTP
	if k.listen("http.listen", h.Listen) && !c.AuthEnabled() && !isLoopback(h.Listen) {
		k.add("http.auth", "false is allowed only on a loopback listen address, not %q", h.Listen)
	}
	owner := map[string]string{}
	for _, staff := range slices.Sorted(maps.Keys(h.Tokens)) {
		key, tok := "http.tokens."+staff, h.Tokens[staff]
		switch {
		case !registry.ValidID(staff):
			k.add(key, "%q is not a valid staff id", staff)
		case len(tok) < MinTokenLen:
			k.add(key, "token shorter than %d characters", MinTokenLen)
		case owner[tok] != "":
			k.add(key, "same token as %s: a token must name one person", owner[tok])
		}
		owner[tok] = staff
	}
	c.checkHTTPEdge(k)
}

func (c Config) checkMQTT(k *checker) {
	m := c.MQTT
	c.checkTopicRoot(k)
	k.required("mqtt.client_id", m.ClientID)
	if m.URL == "" {
		if m.Username != "" || m.Password != "" {
			k.add("mqtt.username", "username and password are for an external broker (mqtt.url), which is not set")
		}
		c.checkEmbedded(k)
		return
	}
	if c.MQTT.Embedded.given {
		k.add("mqtt.embedded", "not used when mqtt.url names an external broker; remove one of them")
	}
	u, err := url.Parse(m.URL)
	switch {
	case err != nil:
		k.add("mqtt.url", "%q: %v", m.URL, err)
	case !slices.Contains([]string{"tcp", "ssl", "tls", "mqtt", "mqtts", "ws", "wss"}, u.Scheme):
		k.add("mqtt.url", "%q: scheme must be tcp, ssl, tls, mqtt, mqtts, ws or wss", m.URL)
	case u.Host == "":
		k.add("mqtt.url", "%q: no host", m.URL)
	}
	if m.Password != "" && m.Username == "" {
		k.add("mqtt.password", "given without mqtt.username")
	}
}

func (c Config) checkTopicRoot(k *checker) {
	r := c.MQTT.TopicRoot
	switch {
	case r == "":
		k.add("mqtt.topic_root", "must not be empty")
	case strings.ContainsAny(r, "+#\x00"):
		k.add("mqtt.topic_root", "%q: must not contain the wildcards + or #", r)
	case strings.HasPrefix(r, "/") || strings.HasSuffix(r, "/") || strings.Contains(r, "//"):
		k.add("mqtt.topic_root", "%q: no leading, trailing or doubled '/'", r)
	case strings.HasPrefix(r, "$"):
		k.add("mqtt.topic_root", "%q: topics starting with $ are the broker's", r)
	}
}

func (c Config) checkEmbedded(k *checker) {
	e := c.MQTT.Embedded
	if e.Listen == "" && e.TLS.Listen == "" {
		k.add("mqtt.embedded.listen", "the embedded broker needs a listen or a tls.listen address")
		return
	}
	if e.Listen != "" {
		k.listen("mqtt.embedded.listen", e.Listen)
	}
	t := e.TLS
	if t.Listen != "" || t.Cert != "" || t.Key != "" {
		if k.required("mqtt.embedded.tls.listen", t.Listen) {
			k.listen("mqtt.embedded.tls.listen", t.Listen)
		}
		k.required("mqtt.embedded.tls.cert", t.Cert)
		k.required("mqtt.embedded.tls.key", t.Key)
	}
	if t.Listen != "" && t.Listen == e.Listen {
		k.add("mqtt.embedded.tls.listen", "same address as mqtt.embedded.listen")
	}
	for _, l := range []string{e.Listen, t.Listen} {
		if l != "" && l == c.HTTP.Listen {
			k.add("mqtt.embedded.listen", "%q is also http.listen", l)
		}
	}
	if c.AnonymousAllowed() && !e.loopbackOnly() {
		k.add("mqtt.embedded.allow_anonymous", "true is allowed only when the broker listens on loopback addresses")
	}
	for _, u := range slices.Sorted(maps.Keys(e.Users)) {
		key, cred := "mqtt.embedded.users."+u, e.Users[u]
		switch {
		case !registry.ValidID(u):
			k.add(key, "%q: a username is an id of 1 to 64 characters from A-Z a-z 0-9 . _ - (it names the user's own topics)", u)
		case cred.Password != "" && cred.PasswordHash != "":
			k.add(key, "give password_hash or password, not both")
		case cred.PasswordHash != "":
			if err := passwd.Check(cred.PasswordHash); err != nil {
				k.add(key+".password_hash", "%v", err)
			}
		case cred.Password == "":
			k.add(key, "no password_hash (or password)")
		case passwd.LooksLikeHash(cred.Password):
			k.add(key, "the password looks like a hash: write it as {password_hash: \"…\"}")
		}
	}
	least := minPacketHeadroom
	if p := c.Ingest.MaxPayload; p > 0 && p <= MaxMQTTPacket {
		least += p // ingest.max_payload reports its own problem
	}
	if e.MaxPacketSize < least || e.MaxPacketSize > MaxMQTTPacket {
		k.add("mqtt.embedded.max_packet_size", "%d: want ingest.max_payload + %d (%d) .. %d bytes",
			e.MaxPacketSize, minPacketHeadroom, least, MaxMQTTPacket)
	}
	if e.ConnectTimeout < time.Second || e.ConnectTimeout > 5*time.Minute {
		k.add("mqtt.embedded.connect_timeout", "%v: want 1s..5m", e.ConnectTimeout)
	}
	if e.MaxConnecting < 1 || e.MaxConnecting > 65536 {
		k.add("mqtt.embedded.max_connecting", "%d: want 1..65536", e.MaxConnecting)
	}
}

func (c Config) checkInflux(k *checker) {
	in := c.Influx
	if in.SpoolMaxBytes < 0 || in.SpoolMaxBytes > 0 && in.SpoolMaxBytes < MinSpoolBytes {
		k.add("influx.spool_max_bytes", "%d: want at least %d bytes (0: the default, %d)", in.SpoolMaxBytes, MinSpoolBytes, DefaultSpoolMaxBytes)
	}
	if in.SpoolMinFreeBytes < 0 {
		k.add("influx.spool_min_free_bytes", "%d: want 0 or more bytes", in.SpoolMinFreeBytes)
	}
	if in.URL == "" {
		if in.Token != "" || in.Org != "" || in.Bucket != "" {
			k.add("influx.url", "empty (telemetry is not written anywhere), yet token, org or bucket is set")
		}
		return
	}
	if u, err := url.Parse(in.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		k.add("influx.url", "%q: want http://host:port or https://host:port", in.URL)
	}
	// InfluxDB 1.8 has no org and, with auth off, no token ("user:pass"
	// with auth on); 2.x and 3.x need both, and say so when they are missing.
	k.required("influx.bucket", in.Bucket)
}

func (c Config) checkJournal(k *checker) {
	if c.Journal.MaxAge < 0 {
		k.add("journal.max_age", "%v: want 0 (no age bound) or a positive duration", c.Journal.MaxAge)
	}
	if c.Journal.MaxBytes < 0 {
		k.add("journal.max_bytes", "%d: want 0 (no size bound) or more bytes", c.Journal.MaxBytes)
	}
	if c.Journal.HeadroomBytes < 0 {
		k.add("journal.headroom_bytes", "%d: want 0 (none) or more bytes", c.Journal.HeadroomBytes)
	}
}

func (c Config) checkIngest(k *checker) {
	in := c.Ingest
	if in.MaxPayload <= 0 || in.MaxPayload > MaxMQTTPacket {
		k.add("ingest.max_payload", "%d: want 1..%d bytes", in.MaxPayload, MaxMQTTPacket)
	}
	if !(in.DeviceRate > 0) || math.IsInf(in.DeviceRate, 0) {
		k.add("ingest.device_rate", "%v: want a positive number of events per second", in.DeviceRate)
	}
	if in.DeviceBurst < 1 {
		k.add("ingest.device_burst", "%d: want at least 1", in.DeviceBurst)
	}
	if in.DedupeWindow <= 0 {
		k.add("ingest.dedupe_window", "%v: want a positive duration", in.DedupeWindow)
	}
}

func (c Config) checkEscalation(k *checker) {
	for _, sev := range []event.Severity{event.Red, event.Orange, event.Yellow, event.Blue} {
		if _, ok := c.Escalation[sev]; !ok {
			k.add("escalation", "no policy for %s", sev)
		}
	}
	for _, sev := range slices.Sorted(maps.Keys(c.Escalation)) {
		key := "escalation." + string(sev)
		if !sev.Valid() {
			k.add(key, "unknown severity %q (want red, orange, yellow, blue)", sev)
			continue
		}
		steps := c.Escalation[sev].Steps
		if len(steps) == 0 {
			k.add(key+".steps", "a policy needs at least one step")
		}
		if w := c.Escalation[sev].ArriveWithin; w != 0 && w < escalate.MinRepage {
			k.add(key+".arrive_within", "%v: below the minimum %v (paging again more often floods the people it pages); give 0 for none, or %v or more",
				w, escalate.MinRepage, escalate.MinRepage)
		}
		for i, s := range steps {
			skey := fmt.Sprintf("%s.steps[%d]", key, i)
			switch {
			case s.After < 0:
				k.add(skey+".after", "%v: must not be negative", s.After)
			case i > 0 && s.After < steps[i-1].After:
				k.add(skey+".after", "%v comes before the previous step's %v", s.After, steps[i-1].After)
			}
			if s.Repeat != 0 && s.Repeat < escalate.MinRepage {
				k.add(skey+".repeat", "%v: below the minimum %v (repeating a page more often floods the people it pages); give 0 for no repeat, or %v or more",
					s.Repeat, escalate.MinRepage, escalate.MinRepage)
			}
			if len(s.Roles) == 0 && len(s.Staff) == 0 && len(s.Groups) == 0 {
				k.add(skey, "pages nobody: give roles, staff or groups")
			}
			for j, id := range s.Groups {
				if !registry.ValidID(id) {
					k.add(fmt.Sprintf("%s.groups[%d]", skey, j), "%q is not a valid group id", id)
				}
			}
			for j, r := range s.Roles {
				if !r.Valid() {
					k.add(fmt.Sprintf("%s.roles[%d]", skey, j), "unknown role %q", r)
				}
			}
			for j, id := range s.Staff {
				if !registry.ValidID(id) {
					k.add(fmt.Sprintf("%s.staff[%d]", skey, j), "%q is not a valid staff id", id)
				}
			}
		}
	}
}

func (c Config) checkWebhook(k *checker) {
	w := c.Webhook
	if w.URL == "" {
		if w.Secret != "" {
			k.add("webhook.url", "empty, yet a secret is set")
		}
		return
	}
	if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		k.add("webhook.url", "%q: want http://host/path or https://host/path", w.URL)
	}
	if len(w.Secret) < 16 {
		k.add("webhook.secret", "at least 16 characters are needed to sign the pages")
	}
}

func (c Config) checkSMS(k *checker) {
	s := c.SMS
	if s.URL == "" {
		if s.Body != "" || len(s.Headers) > 0 || s.Check != nil || s.Method != "" {
			k.add("sms.url", "empty, yet other sms keys are set")
		}
		return
	}
	if s.Body == "" {
		k.add("sms.body", "required with sms.url")
	}
	if s.Check != nil && s.Check.Field == "" {
		k.add("sms.check.field", "required with sms.check")
	}
	switch s.Method {
	case "", "GET", "POST", "PUT":
	default:
		k.add("sms.method", "%q: want GET, POST or PUT", s.Method)
	}
	// Parsed here only to report a broken template at load (and with
	// -check); gateway/deliver renders them, with the real json function.
	parse := func(key, text string) {
		fns := template.FuncMap{"json": func(any) string { return "" }}
		if _, err := template.New(key).Funcs(fns).Parse(text); err != nil {
			k.add(key, "bad template: %v", err)
		}
	}
	parse("sms.url", s.URL)
	parse("sms.body", s.Body)
	for _, h := range slices.Sorted(maps.Keys(s.Headers)) {
		parse("sms.headers."+h, s.Headers[h])
	}
}
