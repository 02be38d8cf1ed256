package httpapi

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/passwd"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// User is an account of the config file (http.users): an admin or an
// installer, who is no staff member of the registry.
type User struct {
	Role         permit.Account
	PasswordHash string
}

// account is someone who may log in with a password.
type account struct {
	caller permit.Caller
	name   string // the person's name, for the answer
	hash   string
}

// credential fingerprints a password hash, so that a session ends when
// its account's hash changes (a new password, or a removed account).
func credential(hash string) [sha256.Size]byte { return sha256.Sum256([]byte(hash)) }

// checkUsers checks the config's accounts.
func checkUsers(users map[string]User) error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(users)) {
		u := users[name]
		if !event.ValidID(name) {
			errs = append(errs, fmt.Errorf("httpapi: user %q: not a valid id", name))
		}
		if u.Role != permit.Admin && u.Role != permit.Installer {
			errs = append(errs, fmt.Errorf("httpapi: user %s: role %q: want %s or %s", name, u.Role, permit.Admin, permit.Installer))
		}
		if err := passwd.Check(u.PasswordHash); err != nil {
			errs = append(errs, fmt.Errorf("httpapi: user %s: password_hash: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// account finds who logs in as name: a config account first, else a
// staff member of reg with a password_hash.
func (s *Server) account(reg *registry.Registry, name string) (account, bool) {
	if u, ok := s.cfg.Users[name]; ok {
		return account{caller: permit.AccountCaller(name, u.Role), hash: u.PasswordHash}, true
	}
	if st, ok := reg.Staff(name); ok && st.PasswordHash != "" {
		return account{caller: permit.Staff(name), name: st.Name, hash: st.PasswordHash}, true
	}
	return account{}, false
}

// registry is the current registry.
func (s *Server) registry() *registry.Registry { return s.cfg.Registry() }
