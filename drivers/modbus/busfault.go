package modbus

import (
	"github.com/gridwatch/gridwatch/drivers/serialline"
)

// Event types for the line itself (see drivers/serialline): one bus.fault
// per outage of the port and one bus.restored when it carries a whole
// polling cycle again, both under the bus's first device.
const (
	BusFault    = serialline.BusFault
	BusRestored = serialline.BusRestored
)

// lineHealth builds the bus's port watcher; the bus goroutine owns it.
func (b *Bus) lineHealth() serialline.Health {
	devs := make([]string, len(b.units))
	for i, x := range b.units {
		devs[i] = x.cfg.Device
	}
	return serialline.Health{Bus: b.cfg.Name, Port: b.cfg.Port, Protocol: "modbus", Devices: devs,
		Up: b.m.up, Now: b.now, Log: b.log,
		Emit: func(typ string, data map[string]any) { b.emit(b.units[0], typ, data) }}
}
