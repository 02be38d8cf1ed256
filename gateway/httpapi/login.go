package httpapi

import (
	"context"
	"errors"
	"net/http"
	"runtime"

	"github.com/gridwatch/gridwatch/gateway/passwd"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/session"
)

// The session cookie and the CSRF header. Under TLS the cookie carries the
// __Host- prefix, which browsers accept only with Secure, Path=/ and no
// Domain, so no other site or plain-HTTP page can plant one.
const (
	cookiePlain = "gridwatch_session"
	cookieTLS   = "__Host-gridwatch_session"
	csrfHeader  = "X-CSRF-Token"
)

// maxPassword bounds a login's password.
const maxPassword = 1024 // bytes; bcrypt reads only the first 72

// kdfSlots is how many password checks run at once: half the CPUs, at
// least one (each takes tens of milliseconds of a core and ~19 MiB), so a
// flood of logins cannot starve the alarm path, as in the broker.
func kdfSlots() int { return max(1, runtime.GOMAXPROCS(0)/2) }

func cookieName(r *http.Request) string {
	if r.TLS != nil {
		return cookieTLS
	}
	return cookiePlain
}

// setCookie hands the browser its session: HttpOnly (no script reads
// it), SameSite=Strict (no other site's page sends it), Secure under TLS.
func setCookie(w http.ResponseWriter, r *http.Request, id string) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName(r), Value: id, Path: "/",
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
}

// clearCookie tells the browser to forget its session cookie.
func clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName(r), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
}

// whoami is the answer of /api/v1/session: who the caller is, their role
// and the cells they see and act on.
type whoami struct {
	User string `json:"user"`
	// Name is the staff member's name in the registry.
	Name string `json:"name,omitempty"`
	// Role is a registry role, or admin or installer (config accounts).
	Role string `json:"role"`
	// WholeSite says the caller sees every cell; else Grids are the
	// cells they serve (and every cell below them).
	WholeSite bool       `json:"whole_site"`
	Grids     []gridName `json:"grids"`
	// Auth is how the caller was known: session, token or none (auth
	// off, the local console).
	Auth string `json:"auth"`
	// CSRFToken must be sent in the X-CSRF-Token header of every
	// state-changing request of the session.
	CSRFToken string `json:"csrf_token,omitempty"`
	// ExpiresMS is when the session ends unless used before (Unix ms).
	ExpiresMS int64 `json:"expires_ms,omitempty"`
}

type gridName struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (s *Server) whoami(who permit.Caller, sess *session.Session) whoami {
	reg := s.registry()
	out := whoami{User: who.ID, Role: permit.Role(reg, who), WholeSite: who.WholeSite(), Grids: []gridName{}, Auth: "token"}
	if st, ok := reg.Staff(who.ID); ok && !who.WholeSite() {
		out.Name = st.Name
		for _, g := range st.Grids {
			n := gridName{ID: g}
			if cell, ok := reg.Grid(g); ok {
				n.Name = cell.Name
			}
			out.Grids = append(out.Grids, n)
		}
	}
	switch {
	case sess != nil:
		out.Auth, out.CSRFToken = "session", sess.CSRF
		out.ExpiresMS = sess.Expires(s.sessions.Config()).UnixMilli()
	case who.IsConsole():
		out.Auth = "none"
	}
	return out
}

// loginBody is the body of POST /api/v1/session.
type loginBody struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// handleLogin serves POST /api/v1/session. Every failure says the same
// ("wrong user name or password") after the same work: an unknown user
// is checked against a dummy hash. Failures are throttled per user name
// and per client address (429 with Retry-After) and audited.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var body loginBody
	if err := decodeBody(w, r, &body, "user, password"); err != nil {
		writeRequestError(w, err)
		return
	}
	if body.User == "" || body.Password == "" || len(body.User) > 64 || len(body.Password) > maxPassword {
		writeError(w, http.StatusBadRequest, "want {\"user\": \"…\", \"password\": \"…\"} (a user name of at most 64 bytes, a password of at most %d)", maxPassword)
		return
	}
	keys := []string{"user:" + body.User, "addr:" + s.clientAddr(r)}
	if wait := s.throttle.Wait(keys...); wait > 0 {
		s.metrics.logins.WithLabelValues("throttled").Inc()
		retryAfter(w, wait)
		s.refuse(w, r, http.StatusTooManyRequests, refusedThrottled, body.User, "too many failed logins for this user or from this address: try again later")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.limits.kdfWait)
	defer cancel()
	select {
	case s.kdf <- struct{}{}:
	case <-ctx.Done():
		s.metrics.logins.WithLabelValues("busy").Inc()
		retryAfter(w, s.limits.kdfWait)
		writeError(w, http.StatusServiceUnavailable, "too many logins at once: try again in a few seconds")
		return
	}
	acct, known := s.account(s.registry(), body.User)
	hash := acct.hash
	if !known {
		hash = dummyHash
	}
	err := passwd.Verify(hash, body.Password)
	<-s.kdf
	if !known || err != nil {
		if err != nil && !errors.Is(err, passwd.ErrMismatch) {
			s.log.Error("http api: login: unusable password hash", "user", body.User, "err", err)
		}
		s.metrics.logins.WithLabelValues("failed").Inc()
		if wait := s.throttle.Fail(keys...); wait > 0 {
			retryAfter(w, wait)
		}
		s.refuse(w, r, http.StatusUnauthorized, refusedLogin, body.User, "wrong user name or password")
		return
	}
	s.throttle.Succeed(keys[0])
	if old, ok := sessionCookie(r); ok {
		s.sessions.Delete(old) // a new login replaces the browser's old session
	}
	id, sess, err := s.sessions.Create(body.User, credential(acct.hash))
	if err != nil {
		s.log.Error("http api: login: cannot start a session", "err", err)
		writeError(w, http.StatusInternalServerError, "internal error (see the gateway log)")
		return
	}
	s.metrics.logins.WithLabelValues("ok").Inc()
	s.log.Info("http api: login", "audit", true, "user", body.User, "remote", s.clientAddr(r))
	setCookie(w, r, id)
	writeJSON(w, http.StatusOK, s.whoami(acct.caller, &sess))
}

// handleWhoami serves GET /api/v1/session: who the current session,
// token or (auth off) console is.
func (s *Server) handleWhoami(w http.ResponseWriter, r *http.Request) {
	who, sess, ok := s.identify(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.whoami(who, sess))
}

// handleLogout serves DELETE /api/v1/session: the session ends and the
// browser forgets its cookie. Like every state change of a browser
// session it needs the CSRF token.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	who, sess, ok := s.identify(w, r)
	if !ok {
		return
	}
	if sess == nil {
		writeError(w, http.StatusBadRequest, "no session to end (a bearer token ends when it leaves the config)")
		return
	}
	if c, err := r.Cookie(cookieName(r)); err == nil {
		s.sessions.Delete(c.Value)
	}
	clearCookie(w, r)
	s.log.Info("http api: logout", "audit", true, "user", who.ID, "remote", s.clientAddr(r))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// dummyHash is what an unknown user's password is checked against: an
// argon2id hash, at the cost passwd.Hash writes, of a random password
// nobody kept, so that such a login costs what a known user's does.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$e1I3iZfbRGm2U+sSShGtPQ$mSfg72Id1eUkGAmbxqPKFXZdix4zyy1aqeeSeSJvd00"
