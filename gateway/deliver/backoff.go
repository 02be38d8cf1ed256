package deliver

import (
	"errors"
	"math/rand/v2"
	"time"
)

// Backoff defaults.
const (
	DefaultBackoffBase = time.Second
	DefaultBackoffMax  = 5 * time.Minute
	DefaultJitter      = 0.2
)

// Backoff spaces the retries of one delivery: after the n-th failed try
// (n from 1) it waits min(Base·2^(n-1), Max), shortened by up to Jitter of
// itself at random so that many retries started together spread out.
type Backoff struct {
	Base time.Duration // 0 means DefaultBackoffBase
	Max  time.Duration // 0 means DefaultBackoffMax
	// Jitter is the fraction (0 to 1) of a wait that may be cut at random;
	// 0 means DefaultJitter, a negative value means none.
	Jitter float64
	// Rand returns numbers in [0, 1); nil means math/rand/v2.Float64.
	// Tests inject a fixed source.
	Rand func() float64
}

// withDefaults fills in the zero fields.
func (b Backoff) withDefaults() Backoff {
	if b.Base == 0 {
		b.Base = DefaultBackoffBase
	}
	if b.Max == 0 {
		b.Max = DefaultBackoffMax
	}
	if b.Jitter == 0 {
		b.Jitter = DefaultJitter
	}
	if b.Jitter < 0 {
		b.Jitter = 0
	}
	if b.Rand == nil {
		b.Rand = rand.Float64
	}
	return b
}

// validate reports a backoff that makes no sense.
func (b Backoff) validate() error {
	var errs []error
	if b.Base < 0 || b.Max < 0 {
		errs = append(errs, errors.New("backoff: base and max must not be negative"))
	}
	if b.Max != 0 && b.Base > b.Max {
		errs = append(errs, errors.New("backoff: base is larger than max"))
	}
	if b.Jitter > 1 {
		errs = append(errs, errors.New("backoff: jitter must be at most 1"))
	}
	return errors.Join(errs...)
}

// Delay is the wait after the n-th failed try (n ≥ 1).
func (b Backoff) Delay(n int) time.Duration {
	b = b.withDefaults()
	d := b.Base
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	return d - time.Duration(float64(d)*b.Jitter*b.Rand())
}
