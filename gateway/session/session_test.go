package session

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time       { return c.t }
func (c *clock) add(d time.Duration)  { c.t = c.t.Add(d) }
func newClock() *clock                { return &clock{time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)} }
func cred(s string) [sha256.Size]byte { return sha256.Sum256([]byte(s)) }
func mustNew(t *testing.T, c Config) *Store {
	t.Helper()
	st, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestExpiry(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []time.Duration // uses, each after the gap given
		want  error           // of the last lookup
	}{
		{"used within idle", []time.Duration{50 * time.Minute, 50 * time.Minute}, nil},
		{"idle too long", []time.Duration{61 * time.Minute}, ErrExpired},
		{"idle exactly", []time.Duration{time.Hour}, ErrExpired},
		{"kept alive past max age", []time.Duration{50 * time.Minute, 50 * time.Minute, 50 * time.Minute, 31 * time.Minute}, ErrExpired},
		{"just before max age", []time.Duration{50 * time.Minute, 50 * time.Minute, 50 * time.Minute, 29 * time.Minute}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			st := mustNew(t, Config{Idle: time.Hour, MaxAge: 3 * time.Hour, PerUser: 2, Now: c.now})
			id, s, err := st.Create("li", cred("h"))
			if err != nil {
				t.Fatal(err)
			}
			if len(id) < 40 || len(s.CSRF) < 40 || id == s.CSRF {
				t.Fatalf("id %q and csrf %q: want two distinct 256-bit tokens", id, s.CSRF)
			}
			var got error
			for _, gap := range tc.steps {
				c.add(gap)
				_, got = st.Lookup(id)
			}
			if !errors.Is(got, tc.want) {
				t.Fatalf("lookup: %v, want %v", got, tc.want)
			}
			if tc.want != nil {
				if _, err := st.Lookup(id); !errors.Is(err, ErrUnknown) {
					t.Errorf("after expiry: %v, want ErrUnknown (ended)", err)
				}
			}
		})
	}
}

func TestPerUserOldestEvicted(t *testing.T) {
	c := newClock()
	st := mustNew(t, Config{Idle: time.Hour, MaxAge: 3 * time.Hour, PerUser: 2, Now: c.now})
	var ids []string
	for range 3 {
		id, _, err := st.Create("li", cred("h"))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		c.add(time.Second)
	}
	other, _, _ := st.Create("wang", cred("h"))
	if _, err := st.Lookup(ids[0]); !errors.Is(err, ErrUnknown) {
		t.Errorf("oldest of three with per_user 2: %v, want ended", err)
	}
	for _, id := range append(ids[1:], other) {
		if _, err := st.Lookup(id); err != nil {
			t.Errorf("newer session: %v", err)
		}
	}
	if !st.Delete(ids[1]) || st.Delete(ids[1]) {
		t.Error("Delete must end the session once")
	}
	if _, err := st.Lookup(ids[1]); !errors.Is(err, ErrUnknown) {
		t.Errorf("after logout: %v, want ErrUnknown", err)
	}
	if st.Len() != 2 {
		t.Errorf("%d sessions held, want 2", st.Len())
	}
}

func TestSweepOnCreate(t *testing.T) {
	c := newClock()
	st := mustNew(t, Config{Idle: time.Hour, MaxAge: 3 * time.Hour, PerUser: 2, Now: c.now})
	for _, u := range []string{"a", "b", "c"} {
		st.Create(u, cred("h"))
	}
	c.add(2 * time.Hour)
	st.Create("d", cred("h"))
	if st.Len() != 1 {
		t.Errorf("%d sessions held after the others expired, want 1", st.Len())
	}
}

func TestCSRF(t *testing.T) {
	st := mustNew(t, Config{Idle: time.Hour, MaxAge: time.Hour, PerUser: 1})
	_, s, _ := st.Create("li", cred("h"))
	if !s.CSRFMatches(s.CSRF) || s.CSRFMatches("") || s.CSRFMatches(s.CSRF[:len(s.CSRF)-1]) || s.CSRFMatches(s.CSRF+"x") {
		t.Error("CSRFMatches must take exactly the session's token")
	}
}

func TestNewRefusesBadBounds(t *testing.T) {
	for _, c := range []Config{{Idle: 0, MaxAge: time.Hour, PerUser: 1}, {Idle: time.Hour, MaxAge: time.Hour, PerUser: 0}} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

func TestThrottleBackoff(t *testing.T) {
	c := newClock()
	th := NewThrottle(c.now)
	var got []time.Duration
	for range 8 {
		got = append(got, th.Fail("user:li", "addr:10.0.0.9"))
	}
	want := []time.Duration{0, 0, 0, 0, 0, time.Second, 2 * time.Second, 4 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("failure %d locks for %v, want %v (all: %v)", i+1, got[i], want[i], got)
		}
	}
	if w := th.Wait("user:li"); w != 4*time.Second {
		t.Errorf("wait %v, want 4s", w)
	}
	if w := th.Wait("user:other", "addr:10.0.0.9"); w != 4*time.Second {
		t.Errorf("another user from the same address waits %v, want 4s", w)
	}
	c.add(4 * time.Second)
	if w := th.Wait("user:li"); w != 0 {
		t.Errorf("after the lock: wait %v", w)
	}
	th.Succeed("user:li")
	if w := th.Fail("user:li"); w != 0 {
		t.Errorf("after a success the user's count restarts; locked %v", w)
	}
	for range 40 {
		th.Fail("user:x")
	}
	if w := th.Wait("user:x"); w != 15*time.Minute {
		t.Errorf("the lock is capped at 15m, got %v", w)
	}
	c.add(2 * time.Hour)
	if w := th.Fail("user:x"); w != 0 {
		t.Errorf("failures are forgotten after an hour; locked %v", w)
	}
}

func TestThrottleBounded(t *testing.T) {
	c := newClock()
	th := NewThrottle(c.now)
	th.MaxKeys = 10
	for i := range 100 {
		for range 6 {
			th.Fail(string(rune('a' + i)))
		}
	}
	if len(th.keys) > 11 {
		t.Errorf("%d keys held, want at most 10 and the overflow key", len(th.keys))
	}
	if th.Wait(overflowKey) == 0 || th.Wait("never-seen") == 0 {
		t.Error("keys past the bound must share a locked overflow key")
	}
}

func TestPeekDoesNotTouch(t *testing.T) {
	c := newClock()
	st := mustNew(t, Config{Idle: time.Hour, MaxAge: 3 * time.Hour, PerUser: 2, Now: c.now})
	id, s, _ := st.Create("li", cred("h"))
	c.add(30 * time.Minute)
	if got, err := st.Peek(id); err != nil || !got.Used.Equal(s.Used) {
		t.Errorf("Peek: %+v %v; want the session unchanged", got, err)
	}
	c.add(31 * time.Minute)
	if _, err := st.Lookup(id); !errors.Is(err, ErrExpired) {
		t.Errorf("after Peek and 61 idle minutes: %v, want ErrExpired", err)
	}
}
