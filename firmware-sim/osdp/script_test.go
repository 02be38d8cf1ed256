package osdp

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
)

func TestParseScript(t *testing.T) {
	steps, err := ParseScript(strings.NewReader(`# a rehearsal
wait 10ms
swipe 1 h10301 68 41551
pin 1 12#
tamper 1 open   # lid off
power 1 lost
input 1 0 active
fault 1 noise=4 flip every=2 delay=5ms
fault 1 none
reboot 1
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 9 || steps[0].Wait.Milliseconds() != 10 || steps[1].Line != 3 || steps[4].String() != "power 1 lost" {
		t.Fatalf("steps %v", steps)
	}
	b, err := NewBus(BusConfig{Port: &bytes.Buffer{}, PDs: []Config{{Address: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	pd := b.PD(1)
	pd.respond(cmd(1, 0, wire.CmdPOLL), nil, 1)
	var log bytes.Buffer
	if err := b.Play(context.Background(), steps[:6], &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "swipe 1 h10301 68 41551\n") {
		t.Fatalf("log %q", log.String())
	}
	var codes []string
	for sqn := byte(1); len(codes) < 5; sqn = nextSQN(sqn) {
		f := decodeReply(t, pd.respond(cmd(1, sqn, wire.CmdPOLL), nil, 1))
		codes = append(codes, wire.CodeName(f.Code, true))
		if f.Code == wire.ReplyKEYPAD {
			// '#' inside a word is a key, not a comment.
			if k, err := wire.DecodeKeypad(f.Data); err != nil || k.Keys != "12#" {
				t.Fatalf("keypad %+v, %v: want the keys 12#", k, err)
			}
		}
	}
	if got := strings.Join(codes, " "); got != "RAW KEYPAD LSTATR LSTATR ISTATR" {
		t.Fatalf("polled %s", got)
	}
	stray := []Step{{Line: 4, Addr: 9, Do: steps[1].Do}}
	if err := b.Play(context.Background(), stray, &log); err == nil ||
		!strings.Contains(err.Error(), "line 4: no PD at address 9") {
		t.Fatalf("step for a missing PD: %v", err)
	}
	if err := b.CheckScript(stray); err == nil || !strings.Contains(err.Error(), "line 4: no PD at address 9") {
		t.Fatalf("CheckScript: %v", err)
	}
	if err := b.CheckScript(steps); err != nil {
		t.Fatalf("CheckScript of a good script: %v", err)
	}
}

func TestParseScriptErrors(t *testing.T) {
	_, err := ParseScript(strings.NewReader(`wait soon
swipe 1 h10301 300 1
swipe 1 w26 1 1
pin 1 12A
tamper 1 ajar
fault 1 sparkle
fault 1 noise=-1
input 1 x active
launch 1
swipe 200 h10301 1 1
`))
	if err == nil {
		t.Fatal("bad script accepted")
	}
	for _, want := range []string{"line 1: wait", "line 2: wiegand h10301: facility 300", "line 3: wiegand: unknown format",
		"line 4: pin", "line 5: usage: tamper", "line 6: fault: unknown", "line 7: fault noise=-1",
		"line 8: usage: input", "line 9: unknown step", "line 10: swipe: address"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

// TestDoorAndREXSteps: "door" drives the contact (input 0) and "rex" presses
// and releases input 1; each change is one ISTATR at a POLL.
func TestDoorAndREXSteps(t *testing.T) {
	steps, err := ParseScript(strings.NewReader("door 1 open\nrex 1\ndoor 1 closed\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBus(BusConfig{Port: &bytes.Buffer{}, PDs: []Config{{Address: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	pd := b.PD(1)
	pd.respond(cmd(1, 0, wire.CmdPOLL), nil, 1)
	if err := b.Play(context.Background(), steps, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for sqn := byte(1); len(got) < 5; sqn = nextSQN(sqn) {
		f := decodeReply(t, pd.respond(cmd(1, sqn, wire.CmdPOLL), nil, 1))
		got = append(got, fmt.Sprintf("%s%v", wire.CodeName(f.Code, true), f.Data))
	}
	if g := strings.Join(got, " "); g != "ISTATR[1 0] ISTATR[1 1] ISTATR[1 0] ISTATR[0 0] ACK[]" {
		t.Fatalf("polled %s", g)
	}
	for _, bad := range []string{"door 1 ajar", "door 1", "rex 1 now"} {
		if _, err := ParseScript(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "usage:") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
