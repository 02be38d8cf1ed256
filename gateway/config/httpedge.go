package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
)

// MaxStreams is the gateway's bound on live event streams in all.
const MaxStreams = 64

// checkHTTPEdge checks what faces the network at the HTTP listener: the
// TLS certificate (its files must exist and load as a matching pair, so
// a typo is found at -check and not at the first handshake), the extra
// host names and the per-person stream bound.
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
	if h.StreamsPerUser < 1 || h.StreamsPerUser > MaxStreams {
		k.add("http.streams_per_user", "%d: want 1..%d", h.StreamsPerUser, MaxStreams)
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
