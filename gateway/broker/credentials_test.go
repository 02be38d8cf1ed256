package broker

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/passwd"
)

// TestVerifierRemembersSuccessOnly: a login that succeeded costs one KDF
// check, however often it comes back; a wrong password is checked every
// time; a changed hash is checked afresh.
func TestVerifierRemembersSuccessOnly(t *testing.T) {
	v := newVerifier(time.Second)
	var calls atomic.Int32
	v.kdf = func(hash, pw string) error {
		calls.Add(1)
		if hash == "H1" && pw == "right" || hash == "H2" && pw == "right" {
			return nil
		}
		return passwd.ErrMismatch
	}
	ctx := context.Background()
	for range 100 {
		if err := v.verify(ctx, "lb-1", "right", Credential{Hash: "H1"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("100 good logins cost %d KDF checks, want 1", n)
	}
	for range 3 {
		if err := v.verify(ctx, "lb-1", "wrong", Credential{Hash: "H1"}); !errors.Is(err, passwd.ErrMismatch) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	if n := calls.Load(); n != 4 {
		t.Errorf("after 3 bad logins: %d KDF checks, want 4 (failures are not remembered)", n)
	}
	if err := v.verify(ctx, "lb-2", "right", Credential{Hash: "H1"}); err != nil || calls.Load() != 5 {
		t.Errorf("another user with the same password and hash was not checked: %v, %d checks (the cache is per user)", err, calls.Load())
	}
	if err := v.verify(ctx, "lb-1", "right", Credential{Hash: "H2"}); err != nil || calls.Load() != 6 {
		t.Errorf("a new hash was not checked afresh: %v, %d checks", err, calls.Load())
	}
	// Plain-text credentials: no KDF.
	if err := v.verify(ctx, "bench", "pw", Credential{Password: "pw"}); err != nil {
		t.Error(err)
	}
	if err := v.verify(ctx, "bench", "pW", Credential{Password: "pw"}); !errors.Is(err, passwd.ErrMismatch) {
		t.Error("a wrong plain-text password passed")
	}
}

// TestVerifierBoundsConcurrentKDF: a flood of logins runs at most
// cap(slot) KDF checks at once; those that wait longer than the wait are
// refused as busy instead of piling up.
func TestVerifierBoundsConcurrentKDF(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := newVerifier(5 * time.Second)
		release := make(chan struct{})
		var running, most atomic.Int32
		v.kdf = func(string, string) error {
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			<-release
			running.Add(-1)
			return passwd.ErrMismatch
		}
		const flood = 20
		var busy atomic.Int32
		var wg sync.WaitGroup
		for range flood {
			wg.Go(func() {
				if errors.Is(v.verify(context.Background(), "x", "bad", Credential{Hash: "H"}), errBusy) {
					busy.Add(1)
				}
			})
		}
		synctest.Wait()
		if got := int(running.Load()); got != cap(v.slot) {
			t.Errorf("%d KDF checks run at once, want %d", got, cap(v.slot))
		}
		time.Sleep(6 * time.Second) // past the wait: the rest give up
		synctest.Wait()
		if got := int(busy.Load()); got != flood-cap(v.slot) {
			t.Errorf("%d logins refused as busy, want %d", got, flood-cap(v.slot))
		}
		close(release)
		wg.Wait()
		if int(most.Load()) > cap(v.slot) {
			t.Errorf("up to %d KDF checks ran at once, want at most %d", most.Load(), cap(v.slot))
		}
	})
}
