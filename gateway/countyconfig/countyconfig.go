// Package countyconfig is the county view's config file (gridwatchd
// county -config county.yaml): the county's id, the HTTP API as in a
// gateway's config, the county cluster's MQTT broker, and the county's
// own staff (command centre and county police) and grid cells.
//
// It is read as strictly as a gateway's config: unknown keys, duplicates
// and wrong types are errors with their line, and every problem is
// reported at once.
package countyconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/problem"
	"github.com/gridwatch/gridwatch/internal/yamlstrict"
)

// Config is the county view's configuration.
type Config struct {
	// County is the county's id in the cluster's topics.
	County string `yaml:"county"`
	// HTTP is the API and console, with the keys of a gateway's http
	// section.
	HTTP config.HTTP `yaml:"http"`
	MQTT MQTT        `yaml:"mqtt"`
	// Staff are the county's own people, in the registry's staff format;
	// their role is command_center or police. They log in with their
	// password_hash. The same ids must be staff of every site's registry
	// for the sites to accept their requests.
	Staff yaml.Node `yaml:"staff"`
	// Grids are the county's cells in the registry's grid format
	// (optional); staff without grids serve all of them.
	Grids yaml.Node `yaml:"grids"`
	// ReplyTimeout bounds how long a request waits for the site's reply.
	ReplyTimeout time.Duration `yaml:"reply_timeout"`
	Log          config.Log    `yaml:"log"`

	registry *registry.Registry
}

// MQTT is the county cluster's broker.
type MQTT struct {
	// URL is tcp://host:port, ssl://host:port (TLS) or ws(s)://.
	URL string `yaml:"url"`
	// URLs are the cluster's other nodes, tried in turn when the one
	// connected goes away.
	URLs     []string `yaml:"urls"`
	Username string   `yaml:"username"`
	// Password may be "env:NAME".
	Password string `yaml:"password"`
	// ClientID names the view's session; empty makes a random one (two
	// views must never share one).
	ClientID string `yaml:"client_id"`
	TLS      TLS    `yaml:"tls"`
}

// TLS is the client side of a TLS connection: the CA that signed the
// broker's certificate (empty: the system's), and a client certificate.
type TLS struct {
	CA   string `yaml:"ca"`
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Defaults.
const (
	DefaultReplyTimeout = 10 * time.Second
	MaxReplyTimeout     = 2 * time.Minute
)

// Registry is the county's own registry: its staff and cells.
func (c *Config) Registry() *registry.Registry { return c.registry }

// AuthEnabled reports whether the API asks for a login (http.auth, on
// unless set false).
func (c *Config) AuthEnabled() bool { return c.HTTP.Auth == nil || *c.HTTP.Auth }

// Load reads and checks the county config file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("county config: %w", err)
	}
	return parse(path, data, os.LookupEnv)
}

func parse(path string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	c := &Config{HTTP: config.DefaultHTTP(), Log: config.DefaultLog(), ReplyTimeout: DefaultReplyTimeout}
	d := &yamlstrict.Decoder{File: path}
	if top := d.Parse(data, "the county config file"); top != nil {
		d.Decode(top, c, "")
	}
	at := func(key, format string, args ...any) problem.Problem {
		p := problem.Problem{File: path, Subject: key, Msg: fmt.Sprintf(format, args...)}
		for k := key; k != ""; {
			if l, ok := d.Lines[k]; ok {
				p.Line = l
				break
			}
			i := strings.LastIndexAny(k, ".[")
			if i < 0 {
				break
			}
			k = k[:i]
		}
		return p
	}
	probs := d.Problems
	dir := filepath.Dir(path)
	probs = append(probs, config.PrepareHTTP(&c.HTTP, dir, lookupEnv, at)...)
	probs = append(probs, c.checkMQTT(dir, lookupEnv, at)...)
	if !registry.ValidID(c.County) {
		probs = append(probs, at("county", "%q: want 1 to 64 characters from A-Z a-z 0-9 . _ -", c.County))
	}
	if c.ReplyTimeout < time.Second || c.ReplyTimeout > MaxReplyTimeout {
		probs = append(probs, at("reply_timeout", "%v: want 1s to %v", c.ReplyTimeout, MaxReplyTimeout))
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		probs = append(probs, at("log.level", "%q: want debug, info, warn or error", c.Log.Level))
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		probs = append(probs, at("log.format", "%q: want text or json", c.Log.Format))
	}
	if registry.ValidID(c.County) || c.Grids.Kind != 0 {
		probs = append(probs, c.buildRegistry(path, at)...)
	}
	if err := problem.Sorted(probs); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) checkMQTT(dir string, lookupEnv func(string) (string, bool), at func(key, format string, args ...any) problem.Problem) []problem.Problem {
	var probs []problem.Problem
	m := &c.MQTT
	if m.URL == "" {
		probs = append(probs, at("mqtt.url", "required: the county cluster's broker, e.g. tcp://nats-1:1883"))
	}
	for i, u := range append([]string{m.URL}, m.URLs...) {
		key := "mqtt.url"
		if i > 0 {
			key = fmt.Sprintf("mqtt.urls[%d]", i-1)
		}
		if (u != "" || i > 0) && !slices.ContainsFunc([]string{"tcp://", "ssl://", "tls://", "mqtts://", "ws://", "wss://", "mqtt://"}, func(p string) bool { return strings.HasPrefix(u, p) && len(u) > len(p) }) {
			probs = append(probs, at(key, "%q: want tcp://, mqtt://, ssl://, tls://, mqtts://, ws:// or wss:// and host:port", u))
		}
	}
	if name, ok := strings.CutPrefix(m.Password, "env:"); ok {
		switch v, set := lookupEnv(name); {
		case !set || v == "":
			probs = append(probs, at("mqtt.password", "environment variable %s is not set or empty", name))
		default:
			m.Password = v
		}
	}
	if m.ClientID != "" && (len(m.ClientID) > 128 || strings.ContainsAny(m.ClientID, "/+# ")) {
		probs = append(probs, at("mqtt.client_id", "%q: at most 128 characters, no / + # or space", m.ClientID))
	}
	for _, f := range []struct {
		key string
		p   *string
	}{{"mqtt.tls.ca", &m.TLS.CA}, {"mqtt.tls.cert", &m.TLS.Cert}, {"mqtt.tls.key", &m.TLS.Key}} {
		if *f.p == "" {
			continue
		}
		if !filepath.IsAbs(*f.p) {
			*f.p = filepath.Join(dir, *f.p)
		}
		if _, err := os.Stat(*f.p); err != nil {
			probs = append(probs, at(f.key, "%v", err))
		}
	}
	if (m.TLS.Cert == "") != (m.TLS.Key == "") {
		probs = append(probs, at("mqtt.tls", "cert and key go together"))
	}
	return probs
}
