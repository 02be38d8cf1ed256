package deliver

import (
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	fixed := func(v float64) func() float64 { return func() float64 { return v } }
	tests := []struct {
		name string
		b    Backoff
		n    int
		want time.Duration
	}{
		{"first try waits base", Backoff{Base: time.Second, Max: time.Minute, Rand: fixed(0)}, 1, time.Second},
		{"doubles", Backoff{Base: time.Second, Max: time.Minute, Rand: fixed(0)}, 3, 4 * time.Second},
		{"capped at max", Backoff{Base: time.Second, Max: 10 * time.Second, Rand: fixed(0)}, 5, 10 * time.Second},
		{"no overflow after many tries", Backoff{Base: time.Second, Max: time.Hour, Rand: fixed(0)}, 500, time.Hour},
		{"jitter shortens", Backoff{Base: 10 * time.Second, Max: time.Minute, Jitter: 0.5, Rand: fixed(0.5)}, 1, 7500 * time.Millisecond},
		{"default jitter 20%", Backoff{Base: 10 * time.Second, Max: time.Minute, Rand: fixed(0.5)}, 1, 9 * time.Second},
		{"negative jitter means none", Backoff{Base: 10 * time.Second, Max: time.Minute, Jitter: -1, Rand: fixed(0.9)}, 1, 10 * time.Second},
		{"defaults", Backoff{Rand: fixed(0)}, 2, 2 * DefaultBackoffBase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.Delay(tt.n); got != tt.want {
				t.Errorf("Delay(%d) = %v, want %v", tt.n, got, tt.want)
			}
		})
	}
}

func TestBackoffValidate(t *testing.T) {
	tests := []struct {
		name string
		b    Backoff
		ok   bool
	}{
		{"zero is fine", Backoff{}, true},
		{"negative base", Backoff{Base: -1}, false},
		{"base above max", Backoff{Base: time.Hour, Max: time.Minute}, false},
		{"jitter above 1", Backoff{Jitter: 1.5}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.b.validate(); (err == nil) != tt.ok {
				t.Errorf("validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
