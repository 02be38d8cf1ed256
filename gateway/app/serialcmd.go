package app

import (
	"errors"
	"sync"

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
