package engine

import (
	"bufio"
	"encoding/json"
	"errors"
	"iter"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// jsonl reads a journal-format file the way a dry run would (the journal
// package's reader is not for rules to import).
func jsonl(t *testing.T, path string) iter.Seq2[event.Event, error] {
	return func(yield func(event.Event, error) bool) {
		f, err := os.Open(path)
		if err != nil {
			yield(event.Event{}, err)
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var ev event.Event
			err := json.Unmarshal(sc.Bytes(), &ev)
			if !yield(ev, err) || err != nil {
				return
			}
		}
	}
}

func TestReplayJournal(t *testing.T) {
	reg := testRegistry(t)
	cfg := Config{Rules: rulefile.Builtin(), Registry: func() *registry.Registry { return reg }}
	// Run on past the last event: every device goes silent.
	rep, err := Replay(cfg, jsonl(t, "testdata/events.jsonl"), time.UnixMilli(1767578405000).Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, d := range rep.Decisions {
		lines = append(lines, d.String())
	}
	out := strings.Join(lines, "\n")
	want := []string{
		`raise orange access_denied_burst rd-0001 "rd-0001 60秒内5次刷卡被拒" (event 5 access.denied)`,
		`raise red    panic lb-0001 "莲花路12号 一键报警" (event 6 button.pressed)`,
		// lb-0001 beats every 30 s: 37.5 s after its press; rd-0001 the default 60 s × 1.25.
		`10:00:42.500+08:00 raise yellow offline lb-0001`,
		`10:01:19.000+08:00 raise yellow offline rd-0001`,
	}
	if rep.Events != 6 || len(rep.Decisions) != 4 || len(rep.Derived) != 2 {
		t.Fatalf("replayed %d events, %d derived, decisions:\n%s", rep.Events, len(rep.Derived), out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("report does not say %q:\n%s", w, out)
		}
	}
}

func TestReplayStopsAtBadInput(t *testing.T) {
	bad := func(yield func(event.Event, error) bool) {
		if yield(event.Event{Device: "d", Type: "x", TS: 1}, nil) {
			yield(event.Event{}, errors.New("line 2: not JSON"))
		}
	}
	rep, err := Replay(Config{Rules: rulefile.Builtin()}, bad, time.Time{})
	if err == nil || !strings.Contains(err.Error(), "event 2: line 2: not JSON") || rep.Events != 1 {
		t.Fatalf("Replay = %d events, %v", rep.Events, err)
	}
	if _, err := Replay(Config{Rules: []rulefile.Rule{{ID: ""}}}, bad, time.Time{}); err == nil {
		t.Fatal("Replay accepted bad rules")
	}
}
