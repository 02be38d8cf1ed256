package window

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// TestSweepSomeInInstalments: a sweep with a small budget takes several
// calls, evicts exactly the idle keys and keeps the live ones.
func TestSweepSomeInInstalments(t *testing.T) {
	c, err := NewCounts(5, time.Second, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 150 {
		at := int64(0) // idle by t=2000
		if i%3 == 0 {
			at = 1900 // live
		}
		c.Add("k"+strconv.Itoa(i), at)
	}
	calls, evicted, looked := 0, 0, 0
	for {
		calls++
		l, e, done := c.SweepSome(2000, 10)
		looked += l
		evicted += e
		if l > 10 {
			t.Fatalf("call %d looked at %d keys, budget 10", calls, l)
		}
		if done {
			break
		}
		if calls > 100 {
			t.Fatal("sweep never finished its pass")
		}
	}
	if evicted != 100 || c.Len() != 50 || looked != 150 {
		t.Fatalf("evicted %d, kept %d, looked at %d; want 100, 50, 150", evicted, c.Len(), looked)
	}
	if calls < 15 {
		t.Errorf("done in %d calls of 10; want at least 15", calls)
	}
	for i := 0; i < 150; i += 3 {
		if _, ok := c.keys["k"+strconv.Itoa(i)]; !ok {
			t.Fatalf("live key k%d evicted", i)
		}
	}
}

// TestRingStaysConsistent: under random adds, fires, completions and
// partial sweeps, every key sits in the ring exactly once, at its index.
func TestRingStaysConsistent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	c, _ := NewCounts(3, 100*time.Millisecond, 64)
	p, _ := NewPending(100*time.Millisecond, 64)
	now := int64(0)
	for i := range 20_000 {
		now += int64(rng.IntN(5))
		k := "k" + strconv.Itoa(rng.IntN(100))
		switch rng.IntN(5) {
		case 0:
			c.SweepSome(now, rng.IntN(8))
			p.SweepSome(now, rng.IntN(8))
		case 1:
			p.Complete(k, now)
		case 2:
			p.Start(k, now)
		default:
			c.Add(k, now-int64(rng.IntN(50)))
		}
		if len(c.ring.keys) != len(c.keys) || len(p.ring.keys) != len(p.keys) {
			t.Fatalf("step %d: ring %d/%d keys, maps %d/%d", i, len(c.ring.keys), len(p.ring.keys), len(c.keys), len(p.keys))
		}
		for j, k := range c.ring.keys {
			if c.keys[k] == nil || c.keys[k].idx != j {
				t.Fatalf("step %d: counts key %q at %d out of place", i, k, j)
			}
		}
		for j, k := range p.ring.keys {
			if st, ok := p.keys[k]; !ok || st.idx != j {
				t.Fatalf("step %d: pending key %q at %d out of place", i, k, j)
			}
		}
	}
}
