package httpapi

import (
	"net"
	"net/http"
	"strconv"
	"strings"
)

// hostGuard refuses requests whose Host header this server does not
// answer to, against DNS rebinding: a web page on evil.example whose name
// is made to resolve to 127.0.0.1 can make the operator's browser send
// requests to a loopback listener, and with auth off nothing else stands in
// its way. The browser still sends Host: evil.example, so the server looks
// at the name it was called by.
//
// The guard is on when auth is off (the listener is then loopback-only)
// and whenever an allow list is configured. It accepts loopback names
// (localhost, a loopback IP such as 127.0.0.1 or [::1]) on the listener's
// own port, and the names of the allow list on any port (a reverse proxy
// in front may have its own).
type hostGuard struct {
	on      bool
	allowed map[string]bool // lower-case host names, without port
}

func newHostGuard(auth bool, allowed []string) hostGuard {
	g := hostGuard{on: !auth || len(allowed) > 0, allowed: map[string]bool{}}
	for _, h := range allowed {
		g.allowed[strings.ToLower(strings.Trim(h, "[]"))] = true
	}
	return g
}

// accepts reports whether a request with Host host, arriving on local
// address local (nil when unknown) over TLS or not, may be served.
func (g hostGuard) accepts(host string, local net.Addr, overTLS bool) bool {
	if !g.on {
		return true
	}
	name, port, err := net.SplitHostPort(host)
	if err != nil { // no port
		name, port = host, ""
	}
	name = strings.ToLower(strings.Trim(name, "[]"))
	if name == "" {
		return false
	}
	if g.allowed[name] {
		return true
	}
	if name != "localhost" {
		ip := net.ParseIP(name)
		if ip == nil || !ip.IsLoopback() {
			return false
		}
	}
	a, ok := local.(*net.TCPAddr)
	if !ok {
		return true // not served from a TCP listener (a test calling the handler)
	}
	if port == "" {
		port = "80"
		if overTLS {
			port = "443"
		}
	}
	return port == strconv.Itoa(a.Port)
}

// guard wraps h with the Host check and the headers every answer carries.
func (s *Server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		if !s.hosts.accepts(r.Host, local, r.TLS != nil) {
			s.metrics.hostRefused.Inc()
			s.log.Debug("http api: host refused", "remote", s.clientAddr(r), "host", clip(r.Host))
			writeError(w, http.StatusMisdirectedRequest,
				"this gateway does not answer to the host name %q: only loopback names (localhost, 127.0.0.1, [::1]) on its own port, or the names in http.allowed_hosts, are accepted (a guard against DNS rebinding)",
				clip(r.Host))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// clip shortens attacker-controlled text for a log line or an answer.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
