package app

import (
	"context"
	"errors"
	"sync"

	"github.com/gridwatch/gridwatch/gateway/command"
	"github.com/gridwatch/gridwatch/gateway/edge"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// commandRouter sends each rule command the way its device listens: to
// its driver's queue for OSDP readers and Modbus I/O modules, over MQTT
// for the rest. It never blocks: the rule runner calls it on the
// goroutine that takes every event to the desk.
type commandRouter struct {
	mqtt commander
	reg  func() *registry.Registry

	mu     sync.RWMutex
	driver map[string]*edge.Commands // device → its driver's queue; filled once the drivers are built
}

var _ commander = (*commandRouter)(nil)

// errNoSerialBus is a serial device with no bus running: added to the
// registry after the start (buses follow the registry as it was then).
var errNoSerialBus = errors.New("no serial bus runs for this device; restart the gateway after adding a port")

// Send routes c; the id it returns names the command in logs.
func (r *commandRouter) Send(c event.Command) (string, error) {
	r.mu.RLock()
	q := r.driver[c.Device]
	r.mu.RUnlock()
	if q != nil {
		return q.Send(c)
	}
	if dev, ok := r.reg().Device(c.Device); ok && (dev.OSDP != nil || dev.Modbus != nil) {
		return "", errNoSerialBus
	}
	return r.mqtt.Send(c)
}

// attach routes the commands of devices to q.
func (r *commandRouter) attach(devices []string, q *edge.Commands) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.driver == nil {
		r.driver = map[string]*edge.Commands{}
	}
	for _, d := range devices {
		r.driver[d] = q
	}
}

// waitCommander sends a command and waits for the device's answer
// (command.Dispatcher).
type waitCommander interface {
	SendWait(ctx context.Context, c event.Command) (command.Result, error)
}

var _ waitCommander = (*command.Dispatcher)(nil)

// SendWait routes c like Send and waits until the device answered or ctx
// is done (Outcome command.Timeout, with the command still under way). A
// serial device's answer carries no times: the caller stamps them. An
// error is a command that could not be sent at all.
func (r *commandRouter) SendWait(ctx context.Context, c event.Command) (command.Result, error) {
	r.mu.RLock()
	q := r.driver[c.Device]
	r.mu.RUnlock()
	if q != nil {
		ack, err := q.SendWait(ctx, c)
		res := command.Result{ID: ack.ID, Device: c.Device, Cmd: c.Cmd, Outcome: command.OK, Error: ack.Error}
		switch {
		case err != nil && ctx.Err() != nil:
			res.Outcome = command.Timeout
		case err != nil:
			return res, err
		case !ack.OK:
			res.Outcome = command.Failed
			if res.Error == "" {
				res.Error = "refused by the device"
			}
		}
		return res, nil
	}
	if dev, ok := r.reg().Device(c.Device); ok && (dev.OSDP != nil || dev.Modbus != nil) {
		return command.Result{}, errNoSerialBus
	}
	w, ok := r.mqtt.(waitCommander)
	if !ok {
		return command.Result{}, errors.New("MQTT commands cannot be waited for")
	}
	res, err := w.SendWait(ctx, c)
	if err != nil && ctx.Err() != nil {
		res.Outcome = command.Timeout
		return res, nil
	}
	return res, err
}
