package serialline

import (
	"context"
	"fmt"
	"time"

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

// Seconds reads a command's args.seconds (any JSON or Go number): its
// value and whether it was given. Each driver checks the range it takes.
func Seconds(proto string, c event.Command) (float64, bool, error) {
	v, ok := c.Args["seconds"]
	if !ok {
		return 0, false, nil
	}
	switch n := v.(type) {
	case float64:
		return n, true, nil
	case int:
		return float64(n), true, nil
	case int64:
		return float64(n), true, nil
	}
	return 0, true, fmt.Errorf("%s: command %s: seconds %v is not a number", proto, c.Cmd, v)
}

// Idle waits d, or until ctx is done, carrying out the commands that
// arrive on ch meanwhile with run. It reports whether d passed.
func Idle(ctx context.Context, d time.Duration, ch <-chan Request, run func(event.Command) error) bool {
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		case r := <-ch:
			r.Done <- run(r.Cmd)
		}
	}
}
