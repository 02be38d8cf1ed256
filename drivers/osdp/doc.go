// Package osdp is the gateway's OSDP control panel: one Bus per RS-485
// line, opened with go.bug.st/serial, owned by one goroutine (Run) that
// polls every configured PD in turn with correct sequence numbers, reply
// timeouts and retries, reads ID and CAP when a PD comes online, declares it
// offline after the last failed retry and re-probes it periodically.
//
// Replies become gateway events handed to an edge.Sink: RAW card reads decoded
// per the reader's Wiegand format (card.read), KEYPAD (keypad.pin), LSTATR
// changes (tamper.open/closed, power.mains_lost/restored), ISTATR through a
// door state machine (door.forced/held_open/closed), KEYSET provisioning
// from install mode (reader.rekeyed), and device.online/device.offline;
// commands from the rules (Command: strobe → LED flash, siren → buzzer,
// unlock → lock relay) are queued for the PD's next turn; a
// failed port is one bus.fault per outage and a bus.restored. Rejected
// frames (bad CRC, noise, gaps) are counted in
// gridwatch_serial_frames_rejected_total{bus,reason} and never stop the
// other PDs being polled.
//
// The wire codec lives in drivers/osdp/wire, shared with the PD simulator
// in firmware-sim/osdp. This package speaks only the nouns of gateway/event,
// and reports through the gateway's one edge for drivers, edge.Sink: its
// events, and every few seconds the PDs that answer their polls (Alive).
package osdp
