package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/serialline"

	mb "github.com/gridwatch/gridwatch/drivers/modbus"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testlog"
)

func TestModbusSlaveCommandLine(t *testing.T) {
	bad := writeScript(t, "press 1\nmains 1 off\n")
	stray := writeScript(t, "press 5\n")
	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{"no line", []string{"modbus-slave"}, "exactly one of -port PATH and -pty"},
		{"both lines", []string{"modbus-slave", "-pty", "-port", "/dev/ttyS0"}, "exactly one of"},
		{"bad unit", []string{"modbus-slave", "-pty", "-unit", "1,248"}, `"248" is not a unit id`},
		{"broadcast unit", []string{"modbus-slave", "-pty", "-unit", "0"}, `"0" is not a unit id`},
		{"duplicate unit", []string{"modbus-slave", "-pty", "-unit", "2,2"}, "unit id 2 listed twice"},
		{"bad script", []string{"modbus-slave", "-pty", "-script", bad}, "line 2: usage: mains UNIT lost|restored"},
		{"stray unit", []string{"modbus-slave", "-pty", "-unit", "1,2", "-script", stray}, "line 1: no unit 5"},
		{"missing script", []string{"modbus-slave", "-pty", "-script", "/nonexistent"}, "/nonexistent"},
		{"arguments", []string{"modbus-slave", "-pty", "extra"}, "unexpected arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := gridsim(t, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.err) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tc.err)
			}
		})
	}
	if code, _, _ := gridsim(t, "modbus-slave", "-port", "/nonexistent/tty"); code != exitFail {
		t.Fatalf("a port that does not open: exit %d, want %d", code, exitFail)
	}
}

// TestModbusSlaveAnswersTheGateway runs `gridsim modbus-slave -pty` with a
// script that presses a button, and the gateway's Modbus master on the
// printed path; a strobe command shows up in the simulator's log.
func TestModbusSlaveAnswersTheGateway(t *testing.T) {
	script := writeScript(t, "# one press\nwait 200ms\npress 4\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb testlog.Buffer
	exit := make(chan int, 1)
	go func() {
		exit <- Main(ctx, []string{"modbus-slave", "-pty", "-unit", "4,5", "-baud", "115200", "-script", script, "-for", "60s"}, &out, &errb)
	}()
	pathRE := regexp.MustCompile(`answering on (/dev/\S+)`)
	var path string
	deadline := time.Now().Add(20 * time.Second)
	for path == "" {
		if m := pathRE.FindStringSubmatch(out.String()); m != nil {
			path = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no pty path printed; stderr %q", errb.String())
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	s := &sink{}
	bus, err := mb.New(mb.Config{Line: serialline.Line{Name: "sim", Port: path, Baud: 115200, PollInterval: 10 * time.Millisecond},
		Units: []mb.UnitConfig{{Device: "io-4", Unit: 4, Profile: "lightbox-io"}, {Device: "io-5", Unit: 5, Profile: "lightbox-io"}}}, s, mb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	busDone := make(chan error, 1)
	go func() { busDone <- bus.Run(ctx) }()
	pressed := func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, e := range s.events {
			if e.Type == event.ButtonPressed && e.Device == "io-4" && e.Source == event.SourceModbus {
				return true
			}
		}
		return false
	}
	for !pressed() {
		if time.Now().After(deadline.Add(10 * time.Second)) {
			t.Fatalf("no button.pressed; simulator said %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	if ack := bus.Command(cctx, event.Command{Device: "io-5", Cmd: "strobe", Args: map[string]any{"seconds": 60}}); !ack.OK {
		t.Fatalf("strobe: %+v", ack)
	}
	if log := errb.String(); !strings.Contains(log, "unit=5 coil=0 on=true") {
		t.Fatalf("coil change not logged: %q", log)
	}
	cancel()
	if code := <-exit; code != exitOK {
		t.Fatalf("gridsim modbus-slave exit %d, stderr %q", code, errb.String())
	}
	if err := <-busDone; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "press 4") {
		t.Fatalf("the step was not logged: %q", out.String())
	}
}
