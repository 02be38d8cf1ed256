package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/phone"
)

// The ways a wait ends.
type waited int

const (
	found waited = iota + 1
	timedOut
	interrupted
)

// wait calls try now and on every change of an inbox until it returns
// true, the step's at+within has passed, or ctx ends.
func (st *run) wait(ctx context.Context, step Step, changed <-chan struct{}, try func() bool) waited {
	deadline := time.NewTimer(time.Until(st.start.Add(step.At + step.Within)))
	defer deadline.Stop()
	for {
		if try() {
			return found
		}
		select {
		case <-changed:
		case <-deadline.C:
			if try() {
				return found
			}
			return timedOut
		case <-ctx.Done():
			return interrupted
		}
	}
}

// expectNone fails the step as soon as the phone has a notification that
// matches and that no expect step took; it passes at at+within.
func (st *run) expectNone(ctx context.Context, step Step) {
	box := st.inboxes[step.Phone]
	var got phone.Received
	match := func(r phone.Received) bool { return step.Expect.Matches(r.Notification) }
	switch st.wait(ctx, step, box.changed, func() bool {
		var ok bool
		got, ok = box.take(match)
		return ok
	}) {
	case found:
		st.fail(step, "%s: a notification matching %s came at +%.3fs, none should within %v: %s",
			step.Phone, step.Expect, got.At.Sub(st.start).Seconds(), step.Within, describe([]phone.Received{got})[len("got instead: "):])
	case timedOut:
		st.printf("ok    %s got nothing matching %s within %v", step.Phone, step.Expect, step.Within)
	case interrupted:
		st.fail(step, "%s: interrupted while making sure nothing matching %s came", step.Phone, step.Expect)
	}
}

// expectCommand waits until the device has received a matching command.
func (st *run) expectCommand(ctx context.Context, step Step) {
	box := st.commands[step.Device]
	var got gotCommand
	switch st.wait(ctx, step, box.changed, func() bool {
		var ok bool
		got, ok = box.take(func(c gotCommand) bool { return step.Command.Matches(c.Msg) })
		return ok
	}) {
	case found:
		st.printf("ok    %s got command %s %s (cid %s) at +%.3fs", step.Device, got.Msg.Cmd, renderArgs(got.Msg.Args), got.Msg.CID, got.At.Sub(st.start).Seconds())
	case timedOut:
		st.fail(step, "%s: no command matching %s within %v; %s", step.Device, step.Command, step.Within, describeCommands(box.unused(), st.start))
	case interrupted:
		st.fail(step, "%s: interrupted while waiting for a command matching %s", step.Device, step.Command)
	}
}

// expectNoCommand fails the step as soon as the device has a matching
// command that no expect step took; it passes at at+within.
func (st *run) expectNoCommand(ctx context.Context, step Step) {
	box := st.commands[step.Device]
	var got gotCommand
	switch st.wait(ctx, step, box.changed, func() bool {
		var ok bool
		got, ok = box.take(func(c gotCommand) bool { return step.Command.Matches(c.Msg) })
		return ok
	}) {
	case found:
		st.fail(step, "%s: a command matching %s came, none should within %v: %s", step.Device, step.Command, step.Within,
			describeCommands([]gotCommand{got}, st.start)[len("got instead: "):])
	case timedOut:
		st.printf("ok    %s got no command matching %s within %v", step.Device, step.Command, step.Within)
	case interrupted:
		st.fail(step, "%s: interrupted while making sure no command matching %s came", step.Device, step.Command)
	}
}

// watchCommands subscribes to the command topic of every device a step
// expects commands on, before the run starts: the scenario only watches
// (whoever plays the device, such as gridsim run, answers).
func (st *run) watchCommands(ctx context.Context) error {
	for _, dev := range st.script.CommandDevices() {
		box := newInbox[gotCommand]()
		st.commands[dev] = box
		topic := st.cfg.Topics.Command(dev)
		err := st.cfg.Dial.Subscribe(ctx, st.publisher(dev), topic, 1, func(_ paho.Client, m paho.Message) {
			var c wire.CommandMsg
			if err := json.Unmarshal(m.Payload(), &c); err != nil {
				c = wire.CommandMsg{Cmd: fmt.Sprintf("(malformed: %v)", err)}
			}
			box.put(gotCommand{Msg: c, At: time.Now()})
		})
		if err != nil {
			return fmt.Errorf("scenario: watch the commands of %s: %w", dev, err)
		}
	}
	return nil
}
