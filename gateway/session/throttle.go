package session

import (
	"sync"
	"time"
)

// Throttle slows down password guessing: each key (a user name, a client
// address) may fail Free times; every failure after that locks the key
// for twice as long as the one before (Base, 2·Base, … up to Max). A key
// forgets its failures after Forget without one. A success clears the
// key. It is safe for concurrent use.
type Throttle struct {
	Free   int
	Base   time.Duration
	Max    time.Duration
	Forget time.Duration
	// MaxKeys bounds the memory used; past it, keys that are not locked
	// are forgotten, and if all are, new keys share one overflow key.
	MaxKeys int
	Now     func() time.Time

	mu   sync.Mutex
	keys map[string]*strikes
}

type strikes struct {
	fails int
	last  time.Time // of the latest failure
	until time.Time // locked until
}

// overflowKey is the shared key of new keys when the throttle is full.
const overflowKey = "\x00overflow"

// NewThrottle returns the login throttle: 5 free failures, then 1 s,
// 2 s, 4 s … up to 15 min; failures are forgotten after an hour.
func NewThrottle(now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{Free: 5, Base: time.Second, Max: 15 * time.Minute, Forget: time.Hour, MaxKeys: 10000, Now: now}
}

// Wait returns how long the longest-locked of keys stays locked (0: none
// is).
func (t *Throttle) Wait(keys ...string) time.Duration {
	now := t.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		s := t.keys[k]
		if s == nil && len(t.keys) >= t.MaxKeys {
			s = t.keys[overflowKey]
		}
		if s != nil {
			wait = max(wait, s.until.Sub(now))
		}
	}
	return wait
}

// Fail counts a failure against every key and returns how long the
// longest-locked of them is now locked.
func (t *Throttle) Fail(keys ...string) time.Duration {
	now := t.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.keys == nil {
		t.keys = make(map[string]*strikes)
	}
	var wait time.Duration
	for _, k := range keys {
		s := t.strikesOf(k, now)
		if now.Sub(s.last) > t.Forget {
			s.fails = 0
		}
		s.fails++
		s.last = now
		if over := s.fails - t.Free; over > 0 {
			d := t.Max
			if over <= 30 {
				d = min(t.Base<<(over-1), t.Max)
			}
			s.until = now.Add(d)
		}
		wait = max(wait, s.until.Sub(now))
	}
	return wait
}

// Succeed clears key's failures.
func (t *Throttle) Succeed(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.keys, key)
}

// strikesOf finds or makes key's record. t.mu is held.
func (t *Throttle) strikesOf(key string, now time.Time) *strikes {
	if s := t.keys[key]; s != nil {
		return s
	}
	if len(t.keys) >= t.MaxKeys {
		for k, s := range t.keys {
			if k != overflowKey && !now.Before(s.until) && (now.Sub(s.last) > t.Forget || s.fails < t.Free) {
				delete(t.keys, k)
			}
		}
		if len(t.keys) >= t.MaxKeys {
			key = overflowKey
			if s := t.keys[key]; s != nil {
				return s
			}
		}
	}
	s := &strikes{}
	t.keys[key] = s
	return s
}
