package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gridwatch/gridwatch/gateway/passwd"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// MaxStreams is the gateway's bound on live event streams in all.
const MaxStreams = 64

// checkHTTPEdge checks what faces the network at the HTTP listener: the
// TLS certificate (its files must exist and load as a matching pair, so
// a typo is found at -check and not at the first handshake), the extra
// host names, the trusted proxies and the per-person stream bound.
func (c Config) checkHTTPEdge(k *checker) {
	h := c.HTTP
	switch t := h.TLS; {
	case t.Cert == "" && t.Key == "":
	case t.Cert == "":
		k.add("http.tls.cert", "required with http.tls.key")
	case t.Key == "":
		k.add("http.tls.key", "required with http.tls.cert")
	default:
		if fileOK(k, "http.tls.cert", t.Cert) && fileOK(k, "http.tls.key", t.Key) {
			if _, err := tls.LoadX509KeyPair(t.Cert, t.Key); err != nil {
				k.add("http.tls.cert", "%s with key %s: %v", t.Cert, t.Key, err)
			}
		}
	}
	for i, host := range h.AllowedHosts {
		if msg := badHostName(host); msg != "" {
			k.add(fmt.Sprintf("http.allowed_hosts[%d]", i), "%q: %s", host, msg)
		}
	}
	for i, p := range h.TrustedProxies {
		if !trustedProxyOK(p) {
			k.add(fmt.Sprintf("http.trusted_proxies[%d]", i), "%q: want an IP address or a CIDR block such as 127.0.0.1 or 10.0.0.0/8 (no host name or port)", p)
		}
	}
	if h.StreamsPerUser < 1 || h.StreamsPerUser > MaxStreams {
		k.add("http.streams_per_user", "%d: want 1..%d", h.StreamsPerUser, MaxStreams)
	}
	if t := h.MetricsToken; t != "" && len(t) < minMetricsToken {
		k.add("http.metrics_token", "%d characters: want at least %d", len(t), minMetricsToken)
	}
	c.checkHTTPUsers(k)
}

// minMetricsToken is the shortest http.metrics_token, as for staff tokens.
const minMetricsToken = 16

// Bounds of http.sessions.
const (
	MinSessionIdle    = time.Minute
	MaxSessionMaxAge  = 90 * 24 * time.Hour
	MaxSessionPerUser = 64
)

// checkHTTPUsers checks the config's own accounts and the session bounds.
func (c Config) checkHTTPUsers(k *checker) {
	for _, u := range slices.Sorted(maps.Keys(c.HTTP.Users)) {
		key, acct := "http.users."+u, c.HTTP.Users[u]
		if !registry.ValidID(u) {
			k.add(key, "%q: a user name is an id of 1 to 64 characters from A-Z a-z 0-9 . _ -", u)
		}
		if acct.Role != RoleAdmin && acct.Role != RoleInstaller {
			k.add(key+".role", "%q: want %s or %s", acct.Role, RoleAdmin, RoleInstaller)
		}
		if acct.PasswordHash == "" {
			k.add(key+".password_hash", "required (make one with: gridwatchd passwd)")
		} else if err := passwd.Check(acct.PasswordHash); err != nil {
			k.add(key+".password_hash", "%v", err)
		}
	}
	s := c.HTTP.Sessions
	if s.IdleTimeout < MinSessionIdle || s.IdleTimeout > s.MaxAge {
		k.add("http.sessions.idle_timeout", "%v: want %v .. http.sessions.max_age (%v)", s.IdleTimeout, MinSessionIdle, s.MaxAge)
	}
	if s.MaxAge < MinSessionIdle || s.MaxAge > MaxSessionMaxAge {
		k.add("http.sessions.max_age", "%v: want %v .. %v", s.MaxAge, MinSessionIdle, MaxSessionMaxAge)
	}
	if s.PerUser < 1 || s.PerUser > MaxSessionPerUser {
		k.add("http.sessions.per_user", "%d: want 1..%d", s.PerUser, MaxSessionPerUser)
	}
}

// fileOK checks that path is a readable regular file.
func fileOK(k *checker, key, path string) bool {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		k.add(key, "%s: no such file", path)
		return false
	case err != nil:
		k.add(key, "%v", err)
		return false
	case !fi.Mode().IsRegular():
		k.add(key, "%s: not a regular file", path)
		return false
	}
	return true
}

// trustedProxyOK reports whether p is an http.trusted_proxies entry the
// HTTP API can read (httpapi.ParseTrustedProxy): an IP address or a CIDR
// block, without a zone.
func trustedProxyOK(p string) bool {
	if strings.Contains(p, "/") {
		pr, err := netip.ParsePrefix(p)
		return err == nil && pr.Addr().Zone() == ""
	}
	a, err := netip.ParseAddr(p)
	return err == nil && a.Zone() == ""
}

// badHostName says what is wrong with an allowed_hosts entry: a bare DNS
// name or IP address, no port, scheme, path or wildcard.
func badHostName(h string) string {
	if ip := net.ParseIP(strings.Trim(h, "[]")); ip != nil {
		return ""
	}
	if h == "" || len(h) > 253 {
		return "want a host name such as gw.lianhua.lan"
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "want a host name such as gw.lianhua.lan (no port, scheme, path or wildcard)"
		}
		for _, r := range label {
			if !(r == '-' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
				return "want a host name such as gw.lianhua.lan (no port, scheme, path or wildcard)"
			}
		}
	}
	return ""
}
