package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// apply evaluates one event and hands the desk what the rules made of it.
// A settled event is one replayed only to rebuild the rules' state: the
// desk already stored its effects, so its commands and its history are not
// sent again.
func (r *Runner) apply(ctx context.Context, ev event.Event, settled bool) error {
	reg := r.reg()
	var triggers []event.Trigger
	if dev, ok := reg.Device(ev.Device); ok {
		grid, _ := reg.Grid(dev.Grid)
		r.mu.Lock()
		start := time.Now()
		triggers = r.engine.Evaluate(&ev, dev, grid)
		r.met.eval.Observe(time.Since(start).Seconds())
		r.mu.Unlock()
	} // else removed from the registry since it was journaled: nothing to decide
	if ev.Source == event.SourceGateway && (ev.Type == event.DeviceOffline || ev.Type == event.DeviceOnline) {
		r.devices.Presence(event.Presence{Device: ev.Device, Online: ev.Type == event.DeviceOnline, At: ev.TS})
	}
	if err := r.desk.Submit(ctx, ev, triggers); err != nil {
		return fmt.Errorf("submit event %d: %w", ev.ID, err)
	}
	if settled {
		return nil
	}
	if r.back != nil && ev.Source == event.SourceGateway && ev.Type == event.DeviceOnline {
		r.back(ev.Device)
	}
	r.command(reg, ev, triggers)
	// After the rules, so history never stands in front of an alarm.
	if r.history != nil {
		if dev, ok := reg.Device(ev.Device); ok {
			grid, _ := reg.Grid(dev.Grid)
			if err := r.history.WriteEvent(ev, dev, grid); err != nil {
				r.log.Warn("event not written to history", "event", ev.ID, "err", err)
			}
		}
	}
	return nil
}

// commandFreshness bounds how old an event may be for its rules'
// commands to go out: a strobe for a press replayed from the journal
// after a restart minutes later would only confuse.
const commandFreshness = 30 * time.Second

// command sends the device commands of the raises (after the desk has the
// alarm, so paging never waits on them): over MQTT, or to the serial bus of
// an OSDP reader or Modbus module (the router queues; it never blocks).
func (r *Runner) command(reg *registry.Registry, ev event.Event, triggers []event.Trigger) {
	if r.commands == nil || r.now().Sub(time.UnixMilli(ev.Received)) > commandFreshness {
		return
	}
	for _, t := range triggers {
		for _, c := range t.Commands {
			if _, ok := reg.Device(c.Device); !ok {
				r.log.Info("rule command not sent: unknown device", "rule", t.Rule, "device", c.Device, "cmd", c.Cmd)
				continue
			}
			if _, err := r.commands.Send(c); err != nil {
				r.log.Warn("rule command not sent", "rule", t.Rule, "device", c.Device, "cmd", c.Cmd, "err", err)
			}
		}
	}
}
