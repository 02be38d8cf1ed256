package config

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gridwatch/gridwatch/internal/yamlstrict"
)

// Load reads the config file at path. An empty path gives Default().
//
// Decoding is strict: unknown keys, duplicate keys and values of the wrong
// type are errors with their line. Keys left out keep their defaults.
// Secrets written "env:NAME" (http.tokens, http.users, mqtt.password,
// influx.token, mqtt.embedded.users, uplink.password) are read from the
// environment. Relative paths (data_dir, registry, rules,
// mqtt.embedded.tls and http.tls cert and key, uplink.tls) are resolved
// against the directory of the file, defaults included, so a site's files
// can sit together. The result is validated; every problem is returned at
// once as *Errors.
func Load(path string) (Config, error) {
	if path == "" {
		return Default(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return parse(path, data, os.LookupEnv)
}

// parse is Load after reading the file, with the environment as an input.
func parse(path string, data []byte, lookupEnv func(string) (string, bool)) (Config, error) {
	c := base()
	d := &yamlstrict.Decoder{File: path}
	if top := d.Parse(data, "the config file"); top != nil {
		d.Decode(top, &c, "")
	}
	w := where{file: path, lines: d.Lines}
	if _, named := w.lines["registry"]; named {
		c.registryDefault = false
	}
	_, c.MQTT.Embedded.given = w.lines["mqtt.embedded"]
	c.fill()
	c.resolvePaths(filepath.Dir(path))
	probs := append(d.Problems, c.resolveEnv(lookupEnv, w.at)...)
	probs = append(probs, c.check(w.at)...)
	if err := newErrors(probs); err != nil {
		return Config{}, err
	}
	return c, nil
}

// where is the file a config came from and the line of each key path.
type where struct {
	file  string
	lines map[string]int
}

// at makes a Problem for key, with the line of the key or of its nearest
// parent that the file had.
func (w where) at(key, format string, args ...any) Problem {
	p := Problem{File: w.file, Subject: key, Msg: fmt.Sprintf(format, args...)}
	for k := key; k != ""; {
		if l, ok := w.lines[k]; ok {
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

// resolvePaths makes the relative file paths relative to dir.
func (c *Config) resolvePaths(dir string) {
	for _, p := range []*string{&c.DataDir, &c.Registry, &c.Rules, &c.MQTT.Embedded.TLS.Cert, &c.MQTT.Embedded.TLS.Key,
		&c.HTTP.TLS.Cert, &c.HTTP.TLS.Key, &c.Uplink.TLS.CA, &c.Uplink.TLS.Cert, &c.Uplink.TLS.Key} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
}

// envPrefix marks a secret read from the environment: "env:NAME".
const envPrefix = "env:"

// resolveEnv replaces every "env:NAME" secret by the value of NAME.
func (c *Config) resolveEnv(lookup func(string) (string, bool), at func(key, format string, args ...any) Problem) []Problem {
	var probs []Problem
	resolve := func(key string, v *string) {
		name, ok := strings.CutPrefix(*v, envPrefix)
		if !ok {
			return
		}
		val, set := lookup(name)
		switch {
		case !validEnvName(name):
			probs = append(probs, at(key, "%q is not a valid environment variable name", name))
		case !set:
			probs = append(probs, at(key, "environment variable %s is not set", name))
		case val == "":
			probs = append(probs, at(key, "environment variable %s is empty", name))
		default:
			*v = val
		}
	}
	resolve("mqtt.password", &c.MQTT.Password)
	resolve("influx.token", &c.Influx.Token)
	resolve("webhook.secret", &c.Webhook.Secret)
	resolve("uplink.password", &c.Uplink.Password)
	for _, m := range []struct {
		key string
		m   map[string]string
	}{{"http.tokens", c.HTTP.Tokens}, {"sms.headers", c.SMS.Headers}} {
		for _, k := range slices.Sorted(maps.Keys(m.m)) {
			v := m.m[k]
			resolve(m.key+"."+k, &v)
			m.m[k] = v
		}
	}
	for _, u := range slices.Sorted(maps.Keys(c.HTTP.Users)) {
		v := c.HTTP.Users[u]
		resolve("http.users."+u+".password_hash", &v.PasswordHash)
		c.HTTP.Users[u] = v
	}
	users := c.MQTT.Embedded.Users
	for _, u := range slices.Sorted(maps.Keys(users)) {
		v := users[u]
		resolve("mqtt.embedded.users."+u+".password", &v.Password)
		resolve("mqtt.embedded.users."+u+".password_hash", &v.PasswordHash)
		users[u] = v
	}
	return probs
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || i > 0 && '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}
