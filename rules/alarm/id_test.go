package alarm

import (
	"strings"
	"testing"
)

func TestIDGenSortsAndNeverRepeats(t *testing.T) {
	var g IDGen
	// Time goes forward, stands still, and steps back (NTP); ids must still
	// grow strictly.
	times := []int64{1732345678123, 1732345678123, 1732345678124, 1732345670000, 1732345678124, 1732345679000}
	var prev string
	for i, ms := range times {
		id := g.Next(ms)
		if len(id) != idLen || id[0] != 'A' {
			t.Fatalf("id %q: bad shape", id)
		}
		if id <= prev {
			t.Fatalf("step %d: id %q does not sort after %q", i, id, prev)
		}
		prev = id
	}
	ms, seq, err := ParseID(g.Next(1732345679000))
	if err != nil || ms != 1732345679000 || seq != 1 {
		t.Fatalf("ParseID = %d, %d, %v", ms, seq, err)
	}
}

func TestIDGenCounterOverflowMovesToNextMillisecond(t *testing.T) {
	g := IDGen{ms: 1000, seq: idSeqLimit - 1}
	ms, seq, err := ParseID(g.Next(1000))
	if err != nil || ms != 1001 || seq != 0 {
		t.Fatalf("after overflow: %d, %d, %v", ms, seq, err)
	}
}

func TestIDGenObserveAcrossRestart(t *testing.T) {
	var before IDGen
	before.Next(5000)
	last := before.Next(5000)
	var after IDGen // a restarted gateway whose clock is now behind
	if err := after.Observe(last); err != nil {
		t.Fatal(err)
	}
	if next := after.Next(4000); next <= last {
		t.Fatalf("id after restart %q does not sort after %q", next, last)
	}
	// Observing an older id changes nothing.
	older := IDGen{}
	old := older.Next(10)
	if err := after.Observe(old); err != nil {
		t.Fatal(err)
	}
	if next := after.Next(4000); next <= last {
		t.Fatalf("observing an older id moved the generator back: %q", next)
	}
}

func TestParseIDRejects(t *testing.T) {
	for _, id := range []string{
		"", "A", "B" + strings.Repeat("0", 14), "A" + strings.Repeat("0", 13), "A" + strings.Repeat("0", 15),
		"A" + strings.Repeat("0", 13) + "U", "a" + strings.Repeat("0", 14), "A" + strings.Repeat("0", 13) + "I",
	} {
		if _, _, err := ParseID(id); err == nil {
			t.Errorf("ParseID(%q) accepted", id)
		}
		var g IDGen
		if err := g.Observe(id); err == nil {
			t.Errorf("Observe(%q) accepted", id)
		}
	}
}
