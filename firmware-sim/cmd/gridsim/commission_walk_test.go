package main

import (
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/internal/testlog"
)

// TestWalkGoesBackToSkippedDevices: a device skipped (Enter) waits until
// the others are done, then the walk goes back to it, prompts again and
// sends the strobe again; only when nothing is pending is it over. On the
// old code a skipped device was never prompted again: the session ended
// with it failed.
func TestWalkGoesBackToSkippedDevices(t *testing.T) {
	dev := func(id, outcome string) *csDevice {
		return &csDevice{ID: id, Kind: "lightbox", Outcome: outcome, Expected: []string{"heartbeat", "press"}, Marks: map[string]*csMark{}}
	}
	ss := session{ID: "cs-1", Devices: map[string]*csDevice{"lb-0001": dev("lb-0001", "pending"), "lb-0002": dev("lb-0002", "pending")}}
	var out testlog.Buffer
	w := &walk{out: &out, seen: map[string]bool{}, asked: map[string]bool{"lb-0001/press": true}, skipped: map[string]bool{"lb-0001": true}}
	if d := w.current(ss); d == nil || d.ID != "lb-0002" {
		t.Fatalf("current = %v, want lb-0002 (lb-0001 skipped)", d)
	}
	ss.Devices["lb-0002"].Outcome = "passed"
	d := w.current(ss)
	if d == nil || d.ID != "lb-0001" {
		t.Fatalf("current = %v, want lb-0001 again once lb-0002 passed", d)
	}
	if !strings.Contains(out.String(), "回到跳过的设备 back to the skipped devices: lb-0001") || w.asked["lb-0001/press"] {
		t.Errorf("going back: asked %v, output %q", w.asked, out.String())
	}
	ss.Devices["lb-0001"].Outcome = "failed"
	if d := w.current(ss); d != nil {
		t.Errorf("current = %v, want none: nothing pending", d.ID)
	}
}
