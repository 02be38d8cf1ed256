// Package modbus is the gateway's Modbus RTU bus master for the I/O modules
// that carry a light box's button, tamper loop and mains sensor and drive
// its strobe, siren and lock relays. One Bus owns one serial line (one
// goroutine, Run): it polls every unit's discrete inputs at the bus's
// interval, turns input edges into events through a device profile, runs
// commands as timed coil pulses, counts rejected frames and exception
// responses, and reports units that stop answering as offline. A failed
// port is reported once per outage (bus.fault, then bus.restored, under the
// bus's first unit) and in gridwatch_serial_bus_up{bus,protocol}. Events,
// and every few seconds the units that answer their polls, go to the
// gateway's one edge for drivers, edge.Sink.
//
// The RTU codec is our own, in the wire subpackage: the well-kept Go
// Modbus libraries (github.com/grid-x/modbus, github.com/simonvetter/modbus)
// are not served by the module proxy this project builds from, and the
// master needs its own reply hunting and timing over go.bug.st/serial.
package modbus
