package broker

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/passwd"
)

// Credential is how one MQTT user proves who it is: a password hash
// (argon2id or bcrypt, see gateway/passwd) or, for configs written before
// hashes, the password itself. Exactly one is set.
type Credential struct {
	Password string
	Hash     string
}

// validUsername reports whether name can be an MQTT username: an id of
// 1 to 64 characters from A-Z a-z 0-9 . _ -. Anything else (a "+", "#" or
// "a/b") would turn the per-user ACL rules into wildcards.
func validUsername(name string) bool { return event.ValidID(name) }

// errBusy is a login refused because every KDF slot stayed busy for the
// whole wait: a flood of logins, most likely bad ones.
var errBusy = errors.New("too many logins being checked")

// verifier checks passwords against credentials. A KDF check costs tens of
// milliseconds of CPU, so it remembers the logins that succeeded (2,000
// devices reconnecting after a network blip cost one HMAC each, not one
// KDF each) and runs at most a few KDF checks at once, so a flood of bad
// logins takes a bounded share of the CPU and never starves the alarm path.
type verifier struct {
	key  [32]byte // HMAC key of the cache, random per process
	slot chan struct{}
	wait time.Duration
	kdf  func(hash, password string) error // passwd.Verify

	mu   sync.Mutex
	good map[[32]byte]struct{}
}

// maxRemembered bounds the cache; past it, it starts again empty.
const maxRemembered = 16384

func newVerifier(wait time.Duration) *verifier {
	v := &verifier{
		slot: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
		wait: wait,
		kdf:  passwd.Verify,
		good: map[[32]byte]struct{}{},
	}
	_, _ = rand.Read(v.key[:]) // never fails (crypto/rand panics instead)
	return v
}

// verify returns nil when password proves user's credential, passwd.ErrMismatch
// when it does not, errBusy when no KDF slot freed up in time.
func (v *verifier) verify(ctx context.Context, user, password string, c Credential) error {
	if c.Hash == "" {
		// A plain-text credential: compare digests, in constant time.
		a, b := sha256.Sum256([]byte(password)), sha256.Sum256([]byte(c.Password))
		if c.Password == "" || subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
			return passwd.ErrMismatch
		}
		return nil
	}
	k := v.cacheKey(user, password, c.Hash)
	v.mu.Lock()
	_, known := v.good[k]
	v.mu.Unlock()
	if known {
		return nil
	}
	t := time.NewTimer(v.wait)
	defer t.Stop()
	select {
	case v.slot <- struct{}{}:
	case <-t.C:
		return errBusy
	case <-ctx.Done():
		return ctx.Err()
	}
	err := v.kdf(c.Hash, password)
	<-v.slot
	if err != nil {
		return err
	}
	v.mu.Lock()
	if len(v.good) >= maxRemembered {
		clear(v.good)
	}
	v.good[k] = struct{}{}
	v.mu.Unlock()
	return nil
}

// cacheKey names one successful login: the user, the password and the
// hash it matched (so a changed hash is checked afresh). It is keyed with
// a per-process secret, so the cache is no faster to brute-force than the
// KDF itself.
func (v *verifier) cacheKey(user, password, hash string) [32]byte {
	m := hmac.New(sha256.New, v.key[:])
	for _, s := range []string{user, password, hash} {
		m.Write([]byte(s))
		m.Write([]byte{0})
	}
	var k [32]byte
	m.Sum(k[:0])
	return k
}
