// Package device simulates gridwatch hardware that speaks the MQTT JSON
// contract (docs/contract.md): one MQTT client per device (client id = device id,
// will "offline" retained on its state topic), "online" on every connect,
// telemetry heart-beating at the device's interval with slowly drifting
// values, acknowledgements of every command it is sent, and events with a
// per-device sequence number.
//
// A Device is one simulated box; a Fleet runs every MQTT device of a
// registry; Press is a one-shot client that publishes a single event on a
// device's behalf, for installers at the command line.
package device
