package modbus

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/firmware-sim/osdp"
)

func TestScript(t *testing.T) {
	steps, err := ParseScript(strings.NewReader(`
# a light box's bad night
press 1
tamper 2 open   # someone at the box
mains 2 lost
input 1 5 on
fault 2 noise=3 badcrc delay=5ms
wait 1ms
fault 1 silent
fault 1 none
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 8 || steps[1].String() != "tamper 2 open" || steps[1].Line != 4 {
		t.Fatalf("steps %v", steps)
	}
	pty, err := osdp.OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer pty.Close()
	b, err := NewBus(BusConfig{Port: pty.Master, Units: []byte{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CheckScript(steps); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := b.Play(context.Background(), steps, &out); err != nil {
		t.Fatal(err)
	}
	u1, u2 := b.Unit(1), b.Unit(2)
	if !u1.inputs[InputButton] || !u1.inputs[5] || !u2.inputs[InputTamper] || u2.inputs[InputMains] {
		t.Errorf("inputs: unit 1 %v, unit 2 %v", u1.inputs, u2.inputs)
	}
	if f := u2.lineFaults(); f != (Faults{Noise: 3, BadCRC: true, Delay: 5 * time.Millisecond}) {
		t.Errorf("unit 2 faults %+v", f)
	}
	if f := u1.lineFaults(); f != (Faults{}) {
		t.Errorf("unit 1 faults not cleared: %+v", f)
	}
	if !strings.Contains(out.String(), "mains 2 lost\n") {
		t.Errorf("play log %q", out.String())
	}
	other, _ := ParseScript(strings.NewReader("press 9"))
	if err := b.CheckScript(other); err == nil || !strings.Contains(err.Error(), "no unit 9") {
		t.Errorf("CheckScript of unit 9: %v", err)
	}
}

func TestScriptErrors(t *testing.T) {
	for _, line := range []string{
		"wait", "wait soon", "press", "press 0", "press 248", "press x", "press 1 2",
		"tamper 1", "tamper 1 ajar", "mains 1 off", "input 1 16 on", "input 1 2 maybe",
		"fault 1", "fault 1 noise=0", "fault 1 noise=x", "fault 1 delay=-1s", "fault 1 flood", "dance 1",
	} {
		if _, err := ParseScript(strings.NewReader(line)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: %v", line, err)
		}
	}
	_, err := ParseScript(strings.NewReader("press 1\nbogus\nwait 1s\nfault 1 nope"))
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("every bad line should be reported: %v", err)
	}
}
