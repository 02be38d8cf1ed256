package osdp

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// doorStep is one thing that happens to a door in a table test: at is the
// fake clock, what is "sync C R" (a connect's first report), "in C R" (an
// input report: contact and REX levels as 0/1), "grant" or "tick".
type doorStep struct {
	at   time.Duration
	what string
	want string // the events, space-separated, and "rex" if the REX was pressed
}

func intp(i int) *int { return &i }

func TestDoorMonitor(t *testing.T) {
	plain := &Door{LockTime: 5 * time.Second, HeldOpen: 30 * time.Second}
	for _, tc := range []struct {
		name  string
		door  *Door
		steps []doorStep
	}{
		{"forced, held open, closed", plain, []doorStep{
			{0, "sync 0 0", ""},
			{10 * time.Second, "in 1 0", "door.forced"},
			{39 * time.Second, "tick", ""},
			{40 * time.Second, "tick", "door.held_open"},
			{41 * time.Second, "tick", ""}, // once per opening
			{50 * time.Second, "in 0 0", "door.closed"},
			{90 * time.Second, "tick", ""},
		}},
		{"a grant releases the door for the lock time", plain, []doorStep{
			{0, "sync 0 0", ""},
			{time.Second, "grant", ""},
			{3 * time.Second, "in 1 0", ""},
			{4 * time.Second, "in 0 0", "door.closed"},
			{5 * time.Second, "in 1 0", ""}, // still within 5 s of the grant
			{5500 * time.Millisecond, "in 0 0", "door.closed"},
			{9 * time.Second, "in 1 0", "door.forced"}, // 8 s after: the release is over
		}},
		{"a grant exactly lock time ago no longer releases", plain, []doorStep{
			{0, "sync 0 0", ""}, {time.Second, "grant", ""}, {6 * time.Second, "in 1 0", "door.forced"},
		}},
		{"a pass held open too long", plain, []doorStep{
			{0, "sync 0 0", ""}, {0, "grant", ""}, {time.Second, "in 1 0", ""},
			{31 * time.Second, "tick", "door.held_open"}, {32 * time.Second, "in 0 0", "door.closed"},
		}},
		{"REX releases; a REX and the opening in one report is a pass", plain, []doorStep{
			{0, "sync 0 0", ""},
			{time.Second, "in 0 1", "rex"},
			{2 * time.Second, "in 1 0", ""},
			{3 * time.Second, "in 0 0", "door.closed"},
			{20 * time.Second, "in 1 1", "rex"},
			{21 * time.Second, "in 0 1", "door.closed"},
			{22 * time.Second, "in 1 1", ""}, // REX still held from 20 s: no new press, but within 5 s
			{23 * time.Second, "in 0 0", "door.closed"},
			{30 * time.Second, "in 1 1", "rex"},
		}},
		{"no REX input: input 1 is ignored", &Door{REX: intp(-1)}, []doorStep{
			{0, "sync 0 0", ""}, {time.Second, "in 0 1", ""}, {2 * time.Second, "in 1 1", "door.forced"},
		}},
		{"already open at connect: not forced, held clock from then", plain, []doorStep{
			{0, "sync 1 0", ""},
			{29 * time.Second, "tick", ""},
			{30 * time.Second, "tick", "door.held_open"},
			{31 * time.Second, "in 0 0", "door.closed"},
		}},
		{"a REX active at connect is not a press", plain, []doorStep{
			{0, "sync 0 1", ""}, {time.Second, "in 1 1", "door.forced"},
		}},
		{"reconnect: still open keeps its alarms, found closed reports closed", plain, []doorStep{
			{0, "sync 0 0", ""},
			{time.Second, "in 1 0", "door.forced"},
			{31 * time.Second, "tick", "door.held_open"},
			{40 * time.Second, "sync 1 0", ""},
			{50 * time.Second, "tick", ""},
			{60 * time.Second, "sync 0 0", "door.closed"},
			{61 * time.Second, "in 1 0", "door.forced"},
		}},
		{"normally-closed wiring: inactive means open", &Door{ContactOpen: "inactive", Contact: 2, REX: intp(0)}, []doorStep{
			{0, "sync 1 0", ""}, {time.Second, "in 0 0", "door.forced"}, {2 * time.Second, "in 1 0", "door.closed"},
		}},
		{"ticks before the first report say nothing", plain, []doorStep{
			{time.Hour, "tick", ""},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newDoorMonitor(tc.door)
			t0 := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
			for i, s := range tc.steps {
				now := t0.Add(s.at)
				f := strings.Fields(s.what)
				var evs []doorEvent
				var rex bool
				switch f[0] {
				case "sync", "in":
					if f[0] == "sync" {
						m.resync()
					}
					in := make([]bool, 3)
					contact, rexIn := tc.door.Contact, tc.door.rexInput()
					in[contact] = f[1] == "1"
					if rexIn >= 0 {
						in[rexIn] = f[2] == "1"
					} else {
						in[1] = f[2] == "1"
					}
					var err error
					if evs, rex, err = m.inputs(now, in); err != nil {
						t.Fatal(err)
					}
				case "grant":
					m.release(now)
				case "tick":
					evs = m.tick(now)
				}
				var got []string
				for _, e := range evs {
					got = append(got, e.typ)
				}
				if rex {
					got = append(got, "rex")
				}
				if g := strings.Join(got, " "); g != s.want {
					t.Fatalf("step %d (%v %s): got %q, want %q", i, s.at, s.what, g, s.want)
				}
			}
		})
	}
}

func TestDoorEventData(t *testing.T) {
	m := newDoorMonitor(&Door{})
	t0 := time.Unix(1000, 0)
	m.inputs(t0, []bool{false, false})
	evs, _, _ := m.inputs(t0.Add(time.Second), []bool{true, false})
	if len(evs) != 1 || evs[0].typ != event.DoorForced || evs[0].data["input"] != 0 {
		t.Fatalf("forced: %+v", evs)
	}
	if evs = m.tick(t0.Add(31 * time.Second)); len(evs) != 1 || evs[0].data["open_ms"] != int64(30000) || evs[0].data["forced"] != true {
		t.Fatalf("held open with the default 30 s: %+v", evs)
	}
	evs, _, _ = m.inputs(t0.Add(41*time.Second), []bool{false, false})
	if d := evs[0].data; fmt.Sprint(d) != "map[forced:true held_open:true open_ms:40000]" {
		t.Fatalf("closed: %v", d)
	}
	if _, _, err := m.inputs(t0, []bool{}); err == nil {
		t.Fatal("a report without the contact input was accepted")
	}
}

func TestDoorValidate(t *testing.T) {
	bad := &Door{Contact: 64, ContactOpen: "high", HeldOpen: -time.Second, PollInputs: -1}
	if errs := bad.validate(); len(errs) != 4 {
		t.Fatalf("errors %v, want 4", errs)
	}
	if errs := (&Door{Contact: 1}).validate(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "not the contact") {
		t.Fatalf("contact and REX on input 1: %v", errs)
	}
	if errs := (&Door{Contact: 1, REX: intp(-1)}).validate(); len(errs) != 0 {
		t.Fatalf("no REX: %v", errs)
	}
}
