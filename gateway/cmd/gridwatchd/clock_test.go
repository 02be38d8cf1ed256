package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testsite"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestWallClockStepsMoveNoDeadline steps the wall clock of a real daemon
// (through GRIDWATCH_CLOCK_OFFSET_FILE) back an hour and then forward two
// while red alarms escalate: step 1 still pages the police about 4 s after
// the press — not an hour late — and no step fires early, no 1-hour step 2
// goes out, and no device is declared offline by the jump.
func TestWallClockStepsMoveNoDeadline(t *testing.T) {
	const step1 = 4 * time.Second
	offset := filepath.Join(t.TempDir(), "offset")
	setOffset := func(d string) {
		t.Helper()
		if err := os.WriteFile(offset, []byte(d), 0o600); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond) // the daemon re-reads it each second
	}
	setOffset("0s")
	t.Setenv("GRIDWATCH_CLOCK_OFFSET_FILE", offset)
	d := newDaemon(t)
	d.writeRegistry(testsite.Ladder +
		testsite.Lightbox("lb-0001", "莲花路12号", "heartbeat: 20s") +
		testsite.Lightbox("lb-0002", "莲花路14号", "heartbeat: 20s") +
		testsite.Lightbox("lb-0003", "莲花路16号", "heartbeat: 20s"))
	d.addConfig(redSteps(step1))
	d.start()
	phones := newPhones(t, d.mqttAddr, "wang", "zhao", "li", "cmd1")

	// Back an hour, between step 0 and step 1.
	pressed := time.Now()
	d.press("lb-0001", 1)
	testsvc.Eventually(t, 20*time.Second, "step 0 to wang", func() bool { return phones.count("wang") == 1 })
	setOffset("-1h")
	testsvc.Eventually(t, 60*time.Second, "step 1 to li within a minute, not an hour late", func() bool { return phones.count("li") == 1 })
	if took := time.Since(pressed); took < step1-500*time.Millisecond {
		t.Fatalf("step 1 paged %v after the press; its deadline is %v", took, step1)
	}

	// Forward two hours, between step 0 and step 1 of a second alarm; a
	// third press wakes the desk at once, as any event would.
	d.press("lb-0002", 1)
	testsvc.Eventually(t, 20*time.Second, "step 0 of lb-0002 to wang", func() bool { return phones.count("wang") == 2 })
	second := time.Now()
	setOffset("1h")
	d.press("lb-0003", 1)
	testsvc.Eventually(t, 20*time.Second, "step 0 of lb-0003 to wang", func() bool { return phones.count("wang") == 3 })
	if n := phones.count("li"); n != 1 && time.Since(second) < step1-500*time.Millisecond {
		t.Fatalf("step 1 of lb-0002 went out early, when the clock jumped (li paged %d times)", n)
	}
	testsvc.Eventually(t, 60*time.Second, "step 1 of lb-0002 and lb-0003 to li", func() bool { return phones.count("li") == 3 })
	time.Sleep(2 * time.Second)
	if n := phones.count("cmd1"); n != 0 {
		t.Fatalf("the 1-hour step 2 went out %d times after the clock jumped forward", n)
	}
	var list struct{ Alarms []alarm.Alarm }
	if !d.getJSON("/api/v1/alarms?state=all", &list) {
		t.Fatal("GET /api/v1/alarms failed")
	}
	for _, a := range list.Alarms {
		if a.Rule != "panic" {
			t.Fatalf("the clock jump raised %s on %s (%s)", a.Rule, a.Device, a.Title)
		}
	}
	b, _ := os.ReadFile(filepath.Join(d.dir, "gridwatchd.log"))
	if !strings.Contains(string(b), "the wall clock stepped") {
		t.Fatalf("the step was not logged")
	}
}
