// Package osdp simulates OSDP peripheral devices (card readers with keypad,
// tamper switch, mains sensor, door contact and lock relay) answering a
// control panel on one RS-485 bus: a pty in tests and demos, or a real
// serial port through a USB-RS485 adapter on the bench.
//
// A Bus owns the line and any number of PDs at distinct addresses. Tests and
// the gridsim command script them (SwipeCard, EnterPIN, SetTamper,
// SetPowerFailure, SetInput, SetDoor, PressREX) and inject faults per PD (line noise before a
// reply, bit flips, truncated replies, silence, slow replies). Sequence
// numbers follow the spec: SQN 0 resets the link, a repeated SQN gets the
// previous reply again byte for byte, any other unexpected SQN draws NAK 4.
// A PD with a key speaks the secure channel; one in install mode (SCBK-D)
// accepts osdp_KEYSET inside it and uses the new key from the next session.
//
// It speaks through drivers/osdp/wire, the codec the gateway uses.
package osdp
