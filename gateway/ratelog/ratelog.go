// Package ratelog writes repeated faults to a slog.Logger at a bounded
// rate: the first line of a kind goes out at once, the rest of that kind
// are counted and summed up in the next line allowed, so a flooding device
// or a noisy line cannot drown the log.
package ratelog

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Limiter lets through at most one line per key and interval.
type Limiter struct {
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time

	mu   sync.Mutex
	keys map[string]*state
}

type state struct {
	last       time.Time
	suppressed int
}

// maxKeys bounds the memory a limiter uses; past it, old keys are forgotten.
const maxKeys = 4096

// New returns a limiter writing to log at most once per interval per key.
// now may be nil for time.Now.
func New(log *slog.Logger, interval time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{log: log, interval: interval, now: now, keys: make(map[string]*state)}
}

// Warn logs msg with args at warn level unless a line of the same key went
// out less than an interval ago; then it only counts it.
func (l *Limiter) Warn(key, msg string, args ...any) { l.logAt(slog.LevelWarn, key, msg, args...) }

// Error is Warn at error level.
func (l *Limiter) Error(key, msg string, args ...any) { l.logAt(slog.LevelError, key, msg, args...) }

func (l *Limiter) logAt(level slog.Level, key, msg string, args ...any) {
	suppressed, ok := l.Allow(key)
	if !ok {
		return
	}
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	l.log.Log(context.Background(), level, msg, args...)
}

// Allow reports whether a line of key may go out now, and how many lines
// of that key were held back since the last one; when it may not, it only
// counts the line. For callers that write the line themselves.
func (l *Limiter) Allow(key string) (suppressed int, ok bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	st, known := l.keys[key]
	if !known {
		if len(l.keys) >= maxKeys {
			clear(l.keys)
		}
		st = &state{}
		l.keys[key] = st
	}
	if known && now.Sub(st.last) < l.interval {
		st.suppressed++
		return 0, false
	}
	suppressed = st.suppressed
	st.last, st.suppressed = now, 0
	return suppressed, true
}
