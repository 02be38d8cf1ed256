package serialline

import (
	"context"
	"fmt"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Request is a device command handed to a bus's owner goroutine, which
// carries it out between polls and answers on Done.
type Request struct {
	Cmd  event.Command
	Done chan error // buffered, so the owner never blocks on a caller that gave up
}

// Submit hands c to the owner goroutine reading ch and returns the
// command's acknowledgement: OK once the owner carried it out, or the
// owner's error, or the context's when the owner is busy or not running
// (proto names the driver in that error). check, when not nil, refuses a
// bad command before it is queued.
func Submit(ctx context.Context, ch chan<- Request, c event.Command, proto string, check func(event.Command) error) event.CommandAck {
	ack := event.CommandAck{ID: c.ID, Device: c.Device}
	if check != nil {
		if err := check(c); err != nil {
			ack.Error = err.Error()
			return ack
		}
	}
	r := Request{Cmd: c, Done: make(chan error, 1)}
	var err error
	select {
	case ch <- r:
		select {
		case err = <-r.Done:
		case <-ctx.Done():
			err = fmt.Errorf("%s: command %s to %s: %w", proto, c.Cmd, c.Device, ctx.Err())
		}
	case <-ctx.Done():
		err = fmt.Errorf("%s: command %s to %s: bus busy or not running: %w", proto, c.Cmd, c.Device, ctx.Err())
	}
	if err != nil {
		ack.Error = err.Error()
	}
	ack.OK = err == nil
	return ack
}
