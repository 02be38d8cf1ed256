// Package passwd hashes and checks passwords with a key-derivation function
// (KDF), so that no secret a person or device logs in with sits in a file
// in clear text. It reads two formats: argon2id in the PHC string form
// ("$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>", what Hash writes) and
// bcrypt ("$2a$", "$2b$", "$2y$"). The same hashes serve MQTT logins and
// HTTP logins.
package passwd

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Cost of the hashes Hash writes: argon2id with 19 MiB, two passes, one
// lane (the OWASP minimum), about 30–60 ms on one core of an edge box.
const (
	Memory  = 19 * 1024 // KiB
	Time    = 2
	Threads = 1
	saltLen = 16
	keyLen  = 32
)

// Bounds on the parameters a stored hash may ask for, so that one hash in
// a file cannot make every check take seconds or gigabytes.
const (
	maxMemory  = 256 * 1024 // KiB
	maxTime    = 10
	maxThreads = 16
	minBcrypt  = 10
	maxBcrypt  = 14
)

// ErrMismatch is a password that does not match its hash.
var ErrMismatch = errors.New("password does not match")

// Hash returns the argon2id hash of password with a fresh random salt.
func Hash(password string) (string, error) {
	if password == "" {
		return "", errors.New("passwd: empty password")
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("passwd: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, Time, Memory, Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, Memory, Time, Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// LooksLikeHash reports whether s has the prefix of a hash this package
// reads: a way to tell a hash pasted where a password belongs.
func LooksLikeHash(s string) bool {
	for _, p := range []string{"$argon2id$", "$argon2i$", "$argon2d$", "$2a$", "$2b$", "$2y$"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// Check reports what is wrong with a stored hash, or nil if Verify can use
// it.
func Check(hash string) error {
	if strings.HasPrefix(hash, "$2") {
		cost, err := bcrypt.Cost([]byte(hash))
		if err != nil {
			return fmt.Errorf("bad bcrypt hash: %w", err)
		}
		if cost < minBcrypt || cost > maxBcrypt {
			return fmt.Errorf("bcrypt cost %d: want %d..%d", cost, minBcrypt, maxBcrypt)
		}
		return nil
	}
	_, err := parseArgon2(hash)
	return err
}

// Verify checks password against hash: nil when it matches, ErrMismatch
// when not, another error when the hash is unusable. It takes the KDF's
// full cost (tens of milliseconds); callers bound how many run at once.
func Verify(hash, password string) error {
	if strings.HasPrefix(hash, "$2") {
		if err := Check(hash); err != nil {
			return err
		}
		switch err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)); {
		case err == nil:
			return nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return ErrMismatch
		default:
			return fmt.Errorf("bcrypt: %w", err)
		}
	}
	p, err := parseArgon2(hash)
	if err != nil {
		return err
	}
	key := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	if subtle.ConstantTimeCompare(key, p.key) != 1 {
		return ErrMismatch
	}
	return nil
}

type argon2Params struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// parseArgon2 reads "$argon2id$v=19$m=M,t=T,p=P$salt$key".
func parseArgon2(hash string) (argon2Params, error) {
	var p argon2Params
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" {
		return p, errors.New("not an argon2id or bcrypt hash (want $argon2id$v=19$m=…,t=…,p=…$salt$key or $2b$…)")
	}
	if parts[1] != "argon2id" {
		return p, fmt.Errorf("%q hashes are not supported: use argon2id or bcrypt", parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, fmt.Errorf("argon2 version %q: want v=%d", parts[2], argon2.Version)
	}
	var m, t, th uint64
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, fmt.Errorf("argon2 parameter %q: not a number", kv)
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			th = n
		default:
			return p, fmt.Errorf("argon2 parameter %q unknown", kv)
		}
	}
	switch {
	case m < 8*th || m > maxMemory:
		return p, fmt.Errorf("argon2 memory m=%d KiB: want %d..%d", m, 8*max(th, 1), maxMemory)
	case t < 1 || t > maxTime:
		return p, fmt.Errorf("argon2 passes t=%d: want 1..%d", t, maxTime)
	case th < 1 || th > maxThreads:
		return p, fmt.Errorf("argon2 lanes p=%d: want 1..%d", th, maxThreads)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, errors.New("argon2 salt: want at least 8 bytes, unpadded base64")
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, errors.New("argon2 key: want 16..64 bytes, unpadded base64")
	}
	return argon2Params{memory: uint32(m), time: uint32(t), threads: uint8(th), salt: salt, key: key}, nil
}
