package serialline

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

func TestSubmit(t *testing.T) {
	c := event.Command{ID: "c1", Device: "io-1", Cmd: "strobe"}
	ch := make(chan Request)

	// Refused before it is queued.
	ack := Submit(context.Background(), ch, c, "modbus", func(event.Command) error { return errors.New("no such output") })
	if ack.OK || ack.Error != "no such output" || ack.ID != "c1" {
		t.Fatalf("refused: %+v", ack)
	}

	// The owner carries it out, or says why not.
	for _, answer := range []error{nil, errors.New("exception 2")} {
		go func() { r := <-ch; r.Done <- answer }()
		ack = Submit(context.Background(), ch, c, "modbus", nil)
		if ack.OK != (answer == nil) || (answer != nil && ack.Error != answer.Error()) {
			t.Fatalf("owner answered %v: ack %+v", answer, ack)
		}
	}

	// Nobody reads: the context ends the wait, and says the bus is busy.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	ack = Submit(ctx, ch, c, "osdp", nil)
	if ack.OK || !strings.Contains(ack.Error, "osdp: command strobe to io-1: bus busy or not running") {
		t.Fatalf("no owner: %+v", ack)
	}
}

func TestSeconds(t *testing.T) {
	for _, tc := range []struct {
		args  map[string]any
		want  float64
		given bool
		err   string
	}{
		{nil, 0, false, ""},
		{map[string]any{"seconds": 2.5}, 2.5, true, ""},
		{map[string]any{"seconds": 3}, 3, true, ""},
		{map[string]any{"seconds": int64(4)}, 4, true, ""},
		{map[string]any{"seconds": "5"}, 0, true, "modbus: command strobe: seconds 5 is not a number"},
	} {
		got, given, err := Seconds("modbus", event.Command{Cmd: "strobe", Args: tc.args})
		if got != tc.want || given != tc.given || (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("%v: %v %v %v, want %v %v %q", tc.args, got, given, err, tc.want, tc.given, tc.err)
		}
	}
}

func TestIdleRunsCommandsWhileWaiting(t *testing.T) {
	ch := make(chan Request)
	ran := make(chan string, 1)
	done := make(chan bool)
	go func() {
		done <- Idle(context.Background(), 50*time.Millisecond, ch, func(c event.Command) error { ran <- c.Cmd; return nil })
	}()
	r := Request{Cmd: event.Command{Cmd: "siren"}, Done: make(chan error, 1)}
	ch <- r
	if err := <-r.Done; err != nil || <-ran != "siren" {
		t.Fatalf("command not run while idle: %v", err)
	}
	if !<-done {
		t.Error("Idle reported its wait cut short")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Idle(ctx, time.Hour, ch, nil) {
		t.Error("Idle with a done context reported the hour passed")
	}
}
