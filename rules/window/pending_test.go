package window

import (
	"testing"
	"time"
)

func TestPendingEdges(t *testing.T) {
	const s = int64(1000)
	tests := []struct {
		name   string
		starts []int64
		b      int64
		want   bool
	}{
		{"B within", []int64{0}, 10 * s, true},
		{"B exactly at span", []int64{0}, 30 * s, true},
		{"B 1 ms late", []int64{0}, 30*s + 1, false},
		{"B at the same time", []int64{5 * s}, 5 * s, true},
		{"B before A", []int64{5 * s}, 4 * s, false},
		{"no A", nil, 4 * s, false},
		{"latest A counts", []int64{0, 20 * s}, 45 * s, true},
		{"out of order A is ignored", []int64{20 * s, 0}, 45 * s, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPending(30*time.Second, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, at := range tt.starts {
				p.Start("lh-g4-07", at)
			}
			if got := p.Complete("lh-g4-07", tt.b); got != tt.want {
				t.Fatalf("Complete = %v, want %v", got, tt.want)
			}
			if tt.want && p.Complete("lh-g4-07", tt.b) {
				t.Fatal("a completed sequence completed twice")
			}
		})
	}
}

func TestPendingBounded(t *testing.T) {
	p, err := NewPending(time.Second, 2)
	if err != nil {
		t.Fatal(err)
	}
	p.Start("a", 0)
	p.Start("b", 0)
	p.Start("c", 500) // full, nothing idle
	if p.Len() != 2 || p.Dropped() != 1 {
		t.Fatalf("Len %d Dropped %d", p.Len(), p.Dropped())
	}
	p.Start("d", 5000) // a and b idle now
	if p.Len() != 1 || !p.Complete("d", 5001) {
		t.Fatalf("after sweep Len %d", p.Len())
	}
	if _, err := NewPending(0, 1); err == nil {
		t.Error("NewPending accepted a zero span")
	}
	if _, err := NewPending(time.Second, 0); err == nil {
		t.Error("NewPending accepted zero keys")
	}
}

func TestDeadlines(t *testing.T) {
	d := NewDeadlines()
	d.Arm("b", 30)
	d.Arm("a", 10)
	d.Arm("c", 20)
	d.Arm("a", 40) // moved later
	d.Disarm("c")
	d.Disarm("nope")
	if at, ok := d.Next(); !ok || at != 30 {
		t.Fatalf("Next = %d %v, want 30", at, ok)
	}
	var got []string
	d.Due(35, func(k string, at int64) { got = append(got, k) })
	if len(got) != 1 || got[0] != "b" || d.Len() != 1 {
		t.Fatalf("Due(35) = %v, left %d", got, d.Len())
	}
	if at, ok := d.At("a"); !ok || at != 40 {
		t.Fatalf("At(a) = %d %v", at, ok)
	}
	d.Due(40, func(k string, at int64) { got = append(got, k) })
	if len(got) != 2 || d.Len() != 0 {
		t.Fatalf("Due(40) = %v", got)
	}
	if _, ok := d.Next(); ok {
		t.Fatal("Next on an empty set")
	}
}

func TestDeadlinesPutOffLazily(t *testing.T) {
	d := NewDeadlines()
	d.Arm("a", 10)
	d.Arm("b", 20)
	d.Arm("a", 30) // put off: settled lazily
	if at, ok := d.Next(); !ok || at != 20 {
		t.Fatalf("Next = %d, want 20", at)
	}
	var got []string
	d.Due(25, func(k string, at int64) { got = append(got, k) })
	if len(got) != 1 || got[0] != "b" {
		t.Fatalf("Due(25) = %v, want only b (a was put off to 30)", got)
	}
	d.Arm("a", 5) // brought forward
	d.Due(5, func(k string, at int64) {
		if k != "a" || at != 5 {
			t.Fatalf("Due(5) gave %s at %d", k, at)
		}
		got = append(got, k)
	})
	if len(got) != 2 || d.Len() != 0 {
		t.Fatalf("got %v, %d left", got, d.Len())
	}
}
