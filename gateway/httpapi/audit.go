package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gridwatch/gridwatch/gateway/permit"
)

// Why a request was refused, as the label of
// gridwatch_http_refused_total and the "reason" of the audit line.
const (
	refusedNoCredentials = "no_credentials"  // no token, no session cookie
	refusedBadToken      = "bad_token"       // a bearer token nobody owns
	refusedNoSession     = "no_session"      // a cookie of no live session
	refusedExpired       = "expired_session" // a session past its idle or absolute end
	refusedAccount       = "account_changed" // the session's account is gone or has a new password
	refusedCSRF          = "csrf"            // a browser's state change without its CSRF token
	refusedForbidden     = "forbidden"       // the caller's role or cells do not allow it
	refusedLogin         = "login_failed"    // a wrong user name or password
	refusedThrottled     = "login_throttled" // too many failed logins of the user or address
	refusedMetricsToken  = "metrics_token"   // /metrics without its bearer token
)

var refusalReasons = []string{refusedNoCredentials, refusedBadToken, refusedNoSession, refusedExpired,
	refusedAccount, refusedCSRF, refusedForbidden, refusedLogin, refusedThrottled, refusedMetricsToken}

// callerKey keys the caller resolved at the edge in a request's context.
type callerKey struct{}

func withCaller(r *http.Request, c permit.Caller) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), callerKey{}, c))
}

// callerOf is the caller authed resolved for r ("" outside authed).
func callerOf(r *http.Request) string {
	c, _ := r.Context().Value(callerKey{}).(permit.Caller)
	return c.ID
}

// audit records a refused request: the metric by reason, and a warning
// line marked audit=true that names the caller (or the user name tried),
// the client address, the request and why. Lines are rate-limited per
// reason and address, since whoever is refused controls them.
func (s *Server) audit(r *http.Request, reason, user, why string) {
	s.metrics.refused.WithLabelValues(reason).Inc()
	addr := s.clientAddr(r)
	if user == "" {
		user = callerOf(r)
	}
	s.auditLog.Warn(reason+" "+addr, "http api: refused", "audit", true, "reason", reason,
		"user", user, "remote", addr, "method", r.Method, "path", r.URL.Path, "why", why)
}

// refuse answers code with msg and audits the refusal.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, code int, reason, user, msg string) {
	s.audit(r, reason, user, msg)
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gridwatch"`)
	}
	writeError(w, code, "%s", msg)
}

// retryAfter sets Retry-After to d in whole seconds, rounded up.
func retryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
}
