package clock

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// steppable is a wall clock a test can step: the real clock plus an offset.
type steppable struct {
	mu  sync.Mutex
	off time.Duration
}

func (s *steppable) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.off)
}

func (s *steppable) step(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.off += d
}

func noBoot() (string, time.Duration, bool) { return "", 0, false }

func TestNowIgnoresWallClockSteps(t *testing.T) {
	for _, step := range []time.Duration{-time.Hour, time.Hour} {
		t.Run(step.String(), func(t *testing.T) {
			wall := &steppable{}
			reg := prometheus.NewRegistry()
			c, err := Start(Config{Wall: wall.Now, Boot: noBoot, Registerer: reg})
			if err != nil {
				t.Fatal(err)
			}
			before := c.Now()
			wall.step(step)
			after := c.Now()
			if d := after.Sub(before); d < 0 || d > time.Minute {
				t.Fatalf("gateway time moved by %v across a wall step of %v; want only the real time elapsed", d, step)
			}
			if off := c.Offset(); (off - step).Abs() > time.Second {
				t.Fatalf("Offset = %v, want about %v", off, step)
			}
			c.check()
			c.check() // noticed once, not every second
			if n := testutil.ToFloat64(c.steps); n != 1 {
				t.Fatalf("steps counted %v, want 1", n)
			}
			if g := testutil.ToFloat64(c.offset); (time.Duration(g*float64(time.Second)) - step).Abs() > time.Second {
				t.Fatalf("offset gauge %v s, want about %v", g, step)
			}
			wall.step(-step)
			c.check()
			if n := testutil.ToFloat64(c.steps); n != 2 {
				t.Fatalf("stepping back counted %v steps in all, want 2", n)
			}
		})
	}
}

func TestShiftAcrossRestart(t *testing.T) {
	const boot = "b0"
	cases := []struct {
		name      string
		sameBoot  bool
		realGone  time.Duration // real time between the anchor and the start
		wallMoved time.Duration // how far the wall clock moved in that time
		want      time.Duration
	}{
		{"same boot, no step", true, 30 * time.Second, 30 * time.Second, 0},
		{"same boot, drift within tolerance", true, 30 * time.Second, 31 * time.Second, 0},
		{"same boot, stepped back an hour", true, 30 * time.Second, 30*time.Second - time.Hour, -time.Hour},
		{"same boot, stepped forward an hour", true, 30 * time.Second, 30*time.Second + time.Hour, time.Hour},
		{"another boot, long downtime", false, 0, 5 * time.Hour, 0},
		{"another boot, clock behind", false, 0, -time.Hour, -time.Hour},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "clock.json")
			t0 := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
			since0 := 100 * time.Hour
			first, err := Start(Config{AnchorPath: path, Wall: func() time.Time { return t0 },
				Boot: func() (string, time.Duration, bool) { return boot, since0, true }})
			if err != nil {
				t.Fatal(err)
			}
			if first.Shift() != 0 {
				t.Fatalf("first start shift %v, want 0", first.Shift())
			}
			first.saveAnchor()
			id := boot
			if !tc.sameBoot {
				id = "b1"
			}
			second, err := Start(Config{AnchorPath: path, Wall: func() time.Time { return t0.Add(tc.wallMoved) },
				Boot: func() (string, time.Duration, bool) { return id, since0 + tc.realGone, true }})
			if err != nil {
				t.Fatal(err)
			}
			if got := second.Shift(); (got - tc.want).Abs() > 10*time.Millisecond {
				t.Fatalf("Shift = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBadAnchorIsNoShift(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clock.json")
	if err := os.WriteFile(path, []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Start(Config{AnchorPath: path, Boot: noBoot})
	if err != nil {
		t.Fatal(err)
	}
	if c.Shift() != 0 {
		t.Fatalf("Shift = %v from a damaged anchor", c.Shift())
	}
	c.saveAnchor()
	if a, err := readAnchor(path); err != nil || a == nil {
		t.Fatalf("the anchor was not rewritten: %v %v", a, err)
	}
}

func TestOffsetWall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "offset")
	w := NewOffsetWall(path)
	if d := time.Until(w.Now()).Abs(); d > time.Second {
		t.Fatalf("no file: offset %v", d)
	}
	if err := os.WriteFile(path, []byte("-1h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	w.read = time.Time{} // as if a second had passed
	w.mu.Unlock()
	if d := time.Since(w.Now()); (d - time.Hour).Abs() > time.Second {
		t.Fatalf("offset file -1h: wall is %v behind", d)
	}
}

func TestReadBoot(t *testing.T) {
	id, since, ok := ReadBoot()
	if !ok {
		t.Skip("no boot id on this system")
	}
	if id == "" || since <= 0 {
		t.Fatalf("ReadBoot = %q, %v", id, since)
	}
	_, since2, _ := ReadBoot()
	if since2 < since {
		t.Fatalf("boot-time clock went back: %v then %v", since, since2)
	}
}
