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
