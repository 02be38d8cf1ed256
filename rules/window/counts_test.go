package window

import (
	"strconv"
	"testing"
	"time"
)

func TestCountsEdges(t *testing.T) {
	const s = int64(1000)
	tests := []struct {
		name string
		n    int
		span time.Duration
		at   []int64 // event times on one key
		want []bool  // what Add says after each
	}{
		{"exactly N within", 5, 60 * time.Second, []int64{0, 10 * s, 20 * s, 30 * s, 40 * s}, []bool{false, false, false, false, true}},
		{"N-1 within", 5, 60 * time.Second, []int64{0, 10 * s, 20 * s, 30 * s}, []bool{false, false, false, false}},
		{"Nth exactly at the boundary", 5, 60 * time.Second, []int64{0, 1 * s, 2 * s, 3 * s, 60 * s}, []bool{false, false, false, false, true}},
		{"Nth one ms past the boundary", 5, 60 * time.Second, []int64{0, 1 * s, 2 * s, 3 * s, 60*s + 1}, []bool{false, false, false, false, false}},
		{"sliding: the oldest falls out, a later run fires", 3, 10 * time.Second,
			[]int64{0, 9 * s, 11 * s, 12 * s}, []bool{false, false, false, true}},
		{"fires once, then needs N again", 2, 10 * time.Second, []int64{0, 1 * s, 2 * s, 3 * s}, []bool{false, true, false, true}},
		{"out of order completes a window", 3, 10 * time.Second, []int64{20 * s, 12 * s, 15 * s}, []bool{false, false, true}},
		{"out of order too old does not", 3, 10 * time.Second, []int64{20 * s, 25 * s, 5 * s}, []bool{false, false, false}},
		{"late event older than every kept one", 3, 10 * time.Second, []int64{100 * s, 108 * s, 200 * s, 99 * s},
			[]bool{false, false, false, true}},
		{"same instant", 3, time.Second, []int64{7, 7, 7}, []bool{false, false, true}},
		{"N of one fires each time", 1, time.Second, []int64{1, 2}, []bool{true, true}},
		{"clock jumps back far", 2, 10 * time.Second, []int64{1_000 * s, 0, 1 * s}, []bool{false, false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCounts(tt.n, tt.span, 10)
			if err != nil {
				t.Fatal(err)
			}
			for i, at := range tt.at {
				if got := c.Add("rd-0001", at); got != tt.want[i] {
					t.Fatalf("event %d at %d: Add = %v, want %v", i, at, got, tt.want[i])
				}
			}
		})
	}
}

func TestCountsKeysAreSeparate(t *testing.T) {
	c, err := NewCounts(2, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if c.Add("a", 0) || c.Add("b", 1) {
		t.Fatal("one event per key fired")
	}
	if !c.Add("a", 2) {
		t.Fatal("second event on a did not fire")
	}
}

func TestCountsBoundedAndSwept(t *testing.T) {
	c, err := NewCounts(3, time.Second, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		c.Add(string(rune('a'+i%26))+string(rune(i)), 0)
	}
	if c.Len() != 100 || c.Dropped() != 900 {
		t.Fatalf("Len %d Dropped %d, want 100 and 900", c.Len(), c.Dropped())
	}
	if n := c.Sweep(999); n != 0 {
		t.Fatalf("Sweep within the span evicted %d keys", n)
	}
	// A second later every key is idle: the next new key sweeps them.
	if c.Add("fresh", 2000) {
		t.Fatal("one event fired")
	}
	if c.Len() != 1 {
		t.Fatalf("after the forced sweep Len = %d, want 1", c.Len())
	}
	if n := c.Sweep(5000); n != 1 || c.Len() != 0 {
		t.Fatalf("Sweep evicted %d, left %d", n, c.Len())
	}
}

func TestNewCountsRejects(t *testing.T) {
	for _, tt := range []struct {
		n    int
		span time.Duration
		keys int
	}{{0, time.Second, 1}, {1, 0, 1}, {1, -time.Second, 1}, {1, time.Second, 0}} {
		if _, err := NewCounts(tt.n, tt.span, tt.keys); err == nil {
			t.Errorf("NewCounts(%d, %v, %d) accepted", tt.n, tt.span, tt.keys)
		}
	}
}

// TestSweepSomeInInstalments: a sweep with a small budget looks at no
// more than its budget per call, never evicts a live key, and repeated
// calls evict every idle one.
func TestSweepSomeInInstalments(t *testing.T) {
	c, err := NewCounts(5, time.Second, 1000)
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]bool{}
	for i := range 150 {
		k, at := "k"+strconv.Itoa(i), int64(0) // idle by t=2000
		if i%3 == 0 {
			at, live[k] = 1900, true
		}
		c.Add(k, at)
	}
	for calls := 1; c.Len() > len(live); calls++ {
		if looked, _ := c.SweepSome(2000, 10); looked > 10 {
			t.Fatalf("call %d looked at %d keys, budget 10", calls, looked)
		}
		if calls > 10_000 {
			t.Fatalf("idle keys left after %d instalments: %d keys, %d live", calls, c.Len(), len(live))
		}
	}
	for k := range live {
		if _, ok := c.keys[k]; !ok {
			t.Fatalf("live key %s evicted", k)
		}
	}
	if looked, evicted := c.SweepSome(2000, 1000); looked != 50 || evicted != 0 {
		t.Errorf("a whole walk looked at %d and evicted %d; want 50 and 0", looked, evicted)
	}
}
