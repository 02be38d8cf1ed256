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
		// lb-0001 beats every 30 s: 37.5 s after its press. rd-0001, an
		// OSDP reader, answers its bus's polls: it is not offline.
		`10:00:42.500+08:00 raise yellow offline lb-0001`,
	}
	if rep.Events != 6 || len(rep.Decisions) != 3 || len(rep.Derived) != 1 {
		t.Fatalf("replayed %d events, %d derived, decisions:\n%s", rep.Events, len(rep.Derived), out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("report does not say %q:\n%s", w, out)
		}
	}
}

// TestReplayPolledDevices: serial-polled devices (an OSDP reader, a Modbus
// module) that send no events are alive while their bus is up, as the
// gateway sees them answer its polls; they go offline 1.25 heartbeats
// after their bus reports bus.fault, and come back on bus.restored. A
// device on MQTT that falls silent is offline as before.
func TestReplayPolledDevices(t *testing.T) {
	reg := testRegistry(t) // rd-0001 osdp, io-0003 modbus: default 60 s heartbeat
	cfg := Config{Rules: rulefile.Builtin(), Registry: func() *registry.Registry { return reg }}
	t0 := time.Date(2026, 1, 5, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	ev := func(at time.Duration, device, typ string, data map[string]any) event.Event {
		ms := t0.Add(at).UnixMilli()
		return event.Event{Device: device, Type: typ, Data: data, TS: ms, Received: ms}
	}
	events := []event.Event{
		ev(0, "rd-0001", "card.read", map[string]any{"card": "1001"}),
		ev(0, "io-0003", "tamper.closed", nil),
		ev(0, "lb-0001", "motion", nil),
		ev(10*time.Minute, "cam-0001", "motion", nil),
		ev(20*time.Minute, "rd-0001", "bus.fault", map[string]any{"bus": "osdp-ttyUSB0", "devices": []any{"rd-0001"}}),
		ev(30*time.Minute, "rd-0001", "bus.restored", map[string]any{"bus": "osdp-ttyUSB0"}),
	}
	seq := func(yield func(event.Event, error) bool) {
		for i, e := range events {
			e.ID = uint64(i + 1)
			if !yield(e, nil) {
				return
			}
		}
	}
	rep, err := Replay(cfg, seq, t0.Add(40*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range rep.Decisions {
		if d.Trigger.Rule == rulefile.RuleOffline {
			verb := "offline"
			if d.Trigger.Clear {
				verb = "online"
			}
			got = append(got, d.At.Sub(t0).String()+" "+verb+" "+d.Trigger.Device)
		}
	}
	want := []string{
		"37.5s offline lb-0001",   // MQTT, 30 s heartbeat, silent
		"11m15s offline cam-0001", // MQTT, silent after its one event
		"21m15s offline rd-0001",  // its bus down at 20 m; 60 s × 1.25 later
		"30m0s online rd-0001",    // polled again
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("offline decisions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
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
