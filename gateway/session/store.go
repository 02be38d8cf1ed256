// Package session keeps the HTTP API's login sessions and throttles failed
// logins. Sessions live in memory only: a restart of the gateway logs
// everyone out (the console shows its login form again), so that no file
// on the gateway holds live credentials.
//
// A session is known by an opaque random id (the cookie's value), kept
// only as its SHA-256 sum, and carries its own random CSRF token. It ends
// when it has not been used for the idle timeout, at its absolute maximum
// age, on logout, or when its account holds too many sessions (the oldest
// goes first).
package session

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Config bounds a Store.
type Config struct {
	// Idle ends a session not used for that long.
	Idle time.Duration
	// MaxAge ends a session that long after its login.
	MaxAge time.Duration
	// PerUser is how many sessions one account may hold; a login past it
	// ends the account's oldest.
	PerUser int
	// Now is the clock; nil for time.Now.
	Now func() time.Time
}

// Session is one login.
type Session struct {
	// User is the account logged in.
	User string
	// Credential fingerprints the password hash the login was checked
	// against; when the account's hash changes, its sessions end.
	Credential [sha256.Size]byte
	// CSRF is the token state-changing requests must echo.
	CSRF    string
	Created time.Time
	Used    time.Time
}

// Expires is when s ends unless used again first.
func (s Session) Expires(c Config) time.Time {
	idle, end := s.Used.Add(c.Idle), s.Created.Add(c.MaxAge)
	if idle.Before(end) {
		return idle
	}
	return end
}

// Store holds the sessions. It is safe for concurrent use.
type Store struct {
	cfg Config

	mu     sync.Mutex
	byID   map[[sha256.Size]byte]*Session
	byUser map[string][][sha256.Size]byte // oldest first
}

// New checks cfg and returns an empty store.
func New(cfg Config) (*Store, error) {
	var errs []error
	if cfg.Idle <= 0 || cfg.MaxAge <= 0 {
		errs = append(errs, fmt.Errorf("session: idle %v and max age %v must be positive", cfg.Idle, cfg.MaxAge))
	}
	if cfg.PerUser < 1 {
		errs = append(errs, fmt.Errorf("session: per user %d: want 1 or more", cfg.PerUser))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{cfg: cfg, byID: make(map[[sha256.Size]byte]*Session), byUser: make(map[string][][sha256.Size]byte)}, nil
}

// Config is the store's configuration (with its clock).
func (st *Store) Config() Config { return st.cfg }

// Create starts a session for user and returns its id (for the cookie)
// and the session. If user already holds PerUser sessions, the oldest
// ends. Expired sessions of anyone are swept on the way.
func (st *Store) Create(user string, credential [sha256.Size]byte) (string, Session, error) {
	id, err := randomToken()
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := randomToken()
	if err != nil {
		return "", Session{}, err
	}
	now := st.cfg.Now()
	s := &Session{User: user, Credential: credential, CSRF: csrf, Created: now, Used: now}
	key := sha256.Sum256([]byte(id))
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweep(now)
	for len(st.byUser[user]) >= st.cfg.PerUser {
		st.remove(st.byUser[user][0])
	}
	st.byID[key] = s
	st.byUser[user] = append(st.byUser[user], key)
	return id, *s, nil
}

// Why Lookup found no session.
var (
	ErrUnknown = errors.New("no such session (logged out, or the gateway restarted)")
	ErrExpired = errors.New("the session has expired")
)

// Lookup returns the session of id and marks it used. An expired session
// ends here (ErrExpired); an id never issued or already ended is
// ErrUnknown.
func (st *Store) Lookup(id string) (Session, error) {
	key := sha256.Sum256([]byte(id))
	now := st.cfg.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.byID[key]
	if !ok {
		return Session{}, ErrUnknown
	}
	if !now.Before(s.Expires(st.cfg)) {
		st.remove(key)
		return Session{}, ErrExpired
	}
	s.Used = now
	return *s, nil
}

// Peek returns the session of id as it is, without marking it used or
// ending it (ErrUnknown if there is none).
func (st *Store) Peek(id string) (Session, error) {
	key := sha256.Sum256([]byte(id))
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.byID[key]
	if !ok {
		return Session{}, ErrUnknown
	}
	return *s, nil
}

// Delete ends the session of id; it reports whether there was one.
func (st *Store) Delete(id string) bool {
	key := sha256.Sum256([]byte(id))
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.byID[key]
	st.remove(key)
	return ok
}

// Len is how many sessions are held (expired ones not yet swept
// included).
func (st *Store) Len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.byID)
}

// CSRFMatches reports, in constant time, whether token is s's CSRF token.
func (s Session) CSRFMatches(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRF)) == 1
}

// sweep ends every expired session. st.mu is held.
func (st *Store) sweep(now time.Time) {
	for key, s := range st.byID {
		if !now.Before(s.Expires(st.cfg)) {
			st.remove(key)
		}
	}
}

// remove ends the session of key. st.mu is held.
func (st *Store) remove(key [sha256.Size]byte) {
	s, ok := st.byID[key]
	if !ok {
		return
	}
	delete(st.byID, key)
	keys := st.byUser[s.User]
	for i, k := range keys {
		if k == key {
			keys = append(keys[:i:i], keys[i+1:]...)
			break
		}
	}
	if len(keys) == 0 {
		delete(st.byUser, s.User)
	} else {
		st.byUser[s.User] = keys
	}
}

// randomToken is 32 random bytes, base64url without padding.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("session: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
