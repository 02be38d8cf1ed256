// Package edgetest is for drivers' tests: a Sink that keeps what a driver
// reports.
package edgetest

import (
	"sync"
	"time"

	"github.com/gridwatch/gridwatch/gateway/edge"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// Collector is an edge.Sink that keeps every event and the last sign of
// life of each device. Telemetry is dropped. It is safe for the driver's
// goroutines and the test's at once.
type Collector struct {
	mu     sync.Mutex
	events []event.Event
	alive  map[string]time.Time
}

var _ edge.Sink = (*Collector)(nil)

// Event keeps e.
func (c *Collector) Event(e event.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e)
}

// Telemetry drops t.
func (c *Collector) Telemetry(event.Telemetry) {}

// Alive keeps at as device's last sign of life.
func (c *Collector) Alive(device string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.alive == nil {
		c.alive = map[string]time.Time{}
	}
	c.alive[device] = at
}

// AliveAt is the last sign of life reported of device (zero if none).
func (c *Collector) AliveAt(device string) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.alive[device]
}

// Find returns device's events of typ so far, in the order reported.
func (c *Collector) Find(device, typ string) []event.Event {
	return c.Where(func(e event.Event) bool { return e.Device == device && e.Type == typ })
}

// Where returns the events so far that keep accepts, in the order
// reported.
func (c *Collector) Where(keep func(event.Event) bool) []event.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []event.Event
	for _, e := range c.events {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}
