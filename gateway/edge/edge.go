// Package edge is where every driver meets the gateway: the Sink a driver
// reports what it heard to, the Driver the gateway runs, the Supervisor
// that keeps each driver running, and for a driver that carries out
// device commands (a Commander) the bounded queue that feeds it the
// rules' commands (Commands).
//
// A driver (an OSDP bus, a Modbus bus, an RTP listener, next RTSP
// cameras) knows its wire and its devices and nothing of the gateway
// behind the Sink. The gateway's ingest implements the Sink, so that what
// a driver reports meets the same acceptance rules as an MQTT message: the
// registry check, the device's flood budget, de-duplication by seq, the
// journal before anything counts as accepted, and the
// gridwatch_ingest_* metrics, told apart by their transport label. A new
// driver needs no code in the composition root beyond its construction:
// it is given a Sink, and handed to the Supervisor.
//
// This package imports only the standard library, the nouns of
// gateway/event and the metrics client, so that every driver may import
// it.
package edge

import (
	"context"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Sink takes what a driver heard. Its methods are called on the driver's
// own goroutine; they may wait for the journal's fsync (about a
// millisecond) but never for long, and never fail the driver: a refusal
// (an unregistered device, a flood, a duplicate, a journal that cannot
// store) is counted and logged by the Sink.
type Sink interface {
	// Event reports an event of a registered device. It is not by itself
	// a sign of life: at the edge an event may be the gateway's judgement
	// of a device (a bus that failed, a stream that was lost), not the
	// device's word. A driver reports life with Alive or telemetry.
	Event(ev event.Event)
	// Telemetry reports a sample. Received is when the data it sums up
	// last arrived from the device, and makes the sample a sign of life;
	// 0 (nothing arrived) makes it history only.
	Telemetry(t event.Telemetry)
	// Alive reports that a device showed life at at without an event,
	// e.g. it answered its bus's polls. A driver reports each device at
	// most every few seconds (see LifeEvery).
	Alive(device string, at time.Time)
}

// LifeEvery is how often a driver reports the devices it hears from as
// alive: often enough for the rules' supervision (minutes), rare enough to
// cost nothing.
const LifeEvery = 2 * time.Second

// Driver is one instance of a driver: a serial bus, a camera's listener.
// Run owns its goroutines and returns nil once ctx is done. An error (or
// a return before ctx is done) means it failed; its Supervisor starts it
// again after a backoff.
type Driver interface {
	Run(ctx context.Context) error
}

// DriverFunc is a function that runs like a Driver.
type DriverFunc func(ctx context.Context) error

// Run calls f.
func (f DriverFunc) Run(ctx context.Context) error { return f(ctx) }
