package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/session"
)

// apiHandler serves an /api/ request for caller, resolved once at the
// edge (identify): the owner of the bearer token, the account of the
// browser session, or with auth off the local console (a body's "by" may
// then name the caller instead; see actor).
type apiHandler func(w http.ResponseWriter, r *http.Request, caller permit.Caller)

// minTokenLen is the shortest bearer token accepted in the config.
const minTokenLen = 16

// tokens finds the staff member a bearer token belongs to. Tokens are kept
// as SHA-256 sums and every one is compared in constant time, so neither a
// token's content nor its length leaks through timing.
type tokens struct {
	on    bool
	staff []string
	sums  [][sha256.Size]byte
}

func newTokens(on bool, m map[string]string) (*tokens, error) {
	t := &tokens{on: on}
	if !on {
		return t, nil
	}
	// No tokens with auth on is allowed: the API is then closed to
	// everyone (401), while health, metrics and the console page are served.
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var errs []error
	owner := make(map[string]string, len(m))
	for _, id := range ids {
		tok := m[id]
		switch {
		case !event.ValidID(id):
			errs = append(errs, fmt.Errorf("httpapi: token owner %q is not a valid staff id", id))
		case len(tok) < minTokenLen:
			errs = append(errs, fmt.Errorf("httpapi: token of staff %s is too short (%d bytes; want at least %d)", id, len(tok), minTokenLen))
		case strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r > '~' }):
			errs = append(errs, fmt.Errorf("httpapi: token of staff %s holds spaces or characters outside printable ASCII", id))
		case owner[tok] != "":
			errs = append(errs, fmt.Errorf("httpapi: staff %s and %s share one token", owner[tok], id))
		default:
			owner[tok] = id
			t.staff = append(t.staff, id)
			t.sums = append(t.sums, sha256.Sum256([]byte(tok)))
		}
	}
	return t, errors.Join(errs...)
}

// owner returns the staff id token belongs to.
func (t *tokens) owner(token string) (string, bool) {
	sum := sha256.Sum256([]byte(token))
	found := -1
	for i := range t.sums {
		if subtle.ConstantTimeCompare(sum[:], t.sums[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return t.staff[found], true
}

// authed puts h behind identify and hands it the caller.
func (s *Server) authed(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, _, ok := s.identify(w, r)
		if !ok {
			return
		}
		h(w, withCaller(r, who), who)
	})
}

// identify resolves the caller of an /api/ request, once, here at the
// edge: the owner of a bearer token; else the account of a browser
// session (whose state-changing requests must carry its CSRF token);
// else, with auth off, the local console. It answers a refusal itself
// (401 or 403, audited) and then returns false. The session is returned
// when there is one.
func (s *Server) identify(w http.ResponseWriter, r *http.Request) (permit.Caller, *session.Session, bool) {
	if s.bearerRequest(r) {
		h := r.Header.Get("Authorization")
		tok, ok := bearer(h)
		if !ok {
			s.unauthorized(w, r, refusedBadToken, "malformed Authorization header: send Authorization: Bearer TOKEN")
			return permit.Caller{}, nil, false
		}
		who, ok := s.tokens.owner(tok)
		if !ok {
			s.unauthorized(w, r, refusedBadToken, "invalid bearer token")
			return permit.Caller{}, nil, false
		}
		return permit.Staff(who), nil, true
	}
	if id, ok := sessionCookie(r); ok {
		who, sess, reason, msg := s.fromSession(id)
		switch {
		case reason == "":
			if !safeMethod(r.Method) && !sess.CSRFMatches(r.Header.Get(csrfHeader)) {
				msg := "missing or wrong CSRF token: a browser session must send its csrf_token (from /api/v1/session) in the header " + csrfHeader
				s.refuse(w, r, http.StatusForbidden, refusedCSRF, who.ID, msg)
				return permit.Caller{}, nil, false
			}
			return who, sess, true
		case s.tokens.on:
			clearCookie(w, r)
			s.unauthorized(w, r, reason, msg)
			return permit.Caller{}, nil, false
		}
		// Auth off: a dead session is no obstacle; the console remains.
		clearCookie(w, r)
	}
	if !s.tokens.on {
		return permit.Console, nil, true
	}
	s.unauthorized(w, r, refusedNoCredentials, "log in (POST /api/v1/session) or send the header Authorization: Bearer TOKEN")
	return permit.Caller{}, nil, false
}

// bearerRequest reports whether r is known by its bearer token (which
// goes before a session cookie).
func (s *Server) bearerRequest(r *http.Request) bool {
	return s.tokens.on && r.Header.Get("Authorization") != ""
}

// sessionCookie is the value of r's session cookie.
func sessionCookie(r *http.Request) (string, bool) {
	c, err := r.Cookie(cookieName(r))
	if err != nil || c.Value == "" {
		return "", false
	}
	return c.Value, true
}

// fromSession resolves a session cookie's value: the caller and session,
// or the refusal reason and message. The session's account must still
// exist with the password hash it logged in with.
func (s *Server) fromSession(id string) (permit.Caller, *session.Session, string, string) {
	sess, err := s.sessions.Lookup(id)
	switch {
	case errors.Is(err, session.ErrExpired):
		return permit.Caller{}, nil, refusedExpired, "the session has expired: log in again"
	case err != nil:
		return permit.Caller{}, nil, refusedNoSession, "no such session (logged out, expired, or the gateway restarted): log in again"
	}
	acct, ok := s.account(s.registry(), sess.User)
	if !ok || credential(acct.hash) != sess.Credential {
		s.sessions.Delete(id)
		return permit.Caller{}, nil, refusedAccount, "the account of this session was removed or its password changed: log in again"
	}
	return acct.caller, &sess, "", ""
}

// safeMethod reports whether m changes nothing (no CSRF token needed).
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, reason, msg string) {
	s.metrics.authFailures.Inc()
	s.refuse(w, r, http.StatusUnauthorized, reason, "", msg)
}

// bearer takes the token out of an Authorization header value.
func bearer(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	tok := strings.TrimSpace(h[len(prefix):])
	return tok, tok != ""
}
