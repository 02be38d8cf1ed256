// Package serialline is what the RS-485 drivers (OSDP, Modbus RTU) share
// about the line itself: its settings under one set of names (Line: port,
// speed, parity, stop bits, poll interval, reply timeout, reprobe, reopen
// backoff) and how a port is opened with them; reporting a failed serial
// port once per outage (Health: bus.fault, bus.restored); the bus metrics
// (gridwatch_serial_bus_up and each protocol's frame, timeout and event
// counters); reporting the devices that answer their polls as alive
// (Life); and the hand-off of a device command to the bus's owner
// goroutine (Submit).
package serialline
