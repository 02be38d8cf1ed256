package passwd

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashThenVerify(t *testing.T) {
	h, err := Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || !LooksLikeHash(h) {
		t.Fatalf("hash %q", h)
	}
	if err := Check(h); err != nil {
		t.Fatalf("Check(own hash): %v", err)
	}
	if err := Verify(h, "correct horse"); err != nil {
		t.Errorf("right password: %v", err)
	}
	if err := Verify(h, "correct horsE"); !errors.Is(err, ErrMismatch) {
		t.Errorf("wrong password: %v, want ErrMismatch", err)
	}
	h2, _ := Hash("correct horse")
	if h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if _, err := Hash(""); err == nil {
		t.Error("an empty password was hashed")
	}
}

func TestBcryptHashesAreRead(t *testing.T) {
	b, err := bcrypt.GenerateFromPassword([]byte("s3cret"), 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(string(b), "s3cret"); err != nil {
		t.Errorf("right password: %v", err)
	}
	if err := Verify(string(b), "s3cre"); !errors.Is(err, ErrMismatch) {
		t.Errorf("wrong password: %v", err)
	}
}

func TestCheckRefusesUnusableHashes(t *testing.T) {
	for _, tc := range []struct{ name, hash, want string }{
		{"plain text", "hunter2", "not an argon2id or bcrypt hash"},
		{"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5", "not supported"},
		{"old version", "$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5", "version"},
		{"4 GiB", "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5", "memory"},
		{"100 passes", "$argon2id$v=19$m=19456,t=100,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5", "passes"},
		{"no lanes", "$argon2id$v=19$m=19456,t=2,p=0$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5", "lanes"},
		{"short salt", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5", "salt"},
		{"short key", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5", "key"},
		{"bad number", "$argon2id$v=19$m=lots,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5", "not a number"},
		{"bcrypt cost 31", "$2b$31$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyzABCDE", "cost"},
		{"bcrypt garbage", "$2b$xx", "bcrypt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.hash)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check = %v, want an error about %q", err, tc.want)
			}
			if err := Verify(tc.hash, "x"); err == nil || errors.Is(err, ErrMismatch) {
				t.Errorf("Verify = %v, want the hash refused", err)
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	h, _ := Hash("correct horse")
	for b.Loop() {
		_ = Verify(h, "correct horse")
	}
}
