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
)

// apiHandler serves an /api/ request for caller, resolved once here at the
// edge: the owner of the bearer token, or with auth off the local console
// (a body's "by" may then name the caller instead; see actor).
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

// authed puts h behind the bearer-token check when auth is on.
func (s *Server) authed(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.tokens.on {
			h(w, r, permit.Console)
			return
		}
		tok, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			s.unauthorized(w, r, "missing bearer token: send the header Authorization: Bearer TOKEN")
			return
		}
		who, ok := s.tokens.owner(tok)
		if !ok {
			s.unauthorized(w, r, "invalid bearer token")
			return
		}
		h(w, r, permit.Staff(who))
	})
}

func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, msg string) {
	s.metrics.authFailures.Inc()
	s.log.Debug("http api: unauthorized", "remote", r.RemoteAddr, "path", r.URL.Path, "why", msg)
	w.Header().Set("WWW-Authenticate", `Bearer realm="gridwatch"`)
	writeError(w, http.StatusUnauthorized, "%s", msg)
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
