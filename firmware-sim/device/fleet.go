package device

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gridwatch/gridwatch/gateway/registry"
)

// TalksMQTT reports whether a registry device speaks the MQTT JSON
// contract, and so is simulated by a Fleet: light boxes, cameras and
// readers that are not wired to an OSDP or Modbus bus and have no RTP
// video input. I/O modules are always Modbus.
func TalksMQTT(d *registry.Device) bool {
	if d.Kind == registry.IO {
		return false
	}
	return d.OSDP == nil && d.Modbus == nil && d.RTP == nil
}

// MQTTDevices returns the devices of reg that TalksMQTT, sorted by id.
func MQTTDevices(reg *registry.Registry) []*registry.Device {
	var out []*registry.Device
	for _, d := range reg.Devices() {
		if TalksMQTT(d) {
			out = append(out, d)
		}
	}
	return out
}

// Fleet runs many simulated devices, one MQTT client each.
type Fleet struct {
	devices []*Device
	byID    map[string]*Device
}

// NewFleet prepares one Device per registry device. Their connects are
// spread evenly over ramp (zero: all at once), so that a site of thousands
// of boxes does not storm the broker.
func NewFleet(cfg Config, devs []*registry.Device, ramp time.Duration) (*Fleet, error) {
	if len(devs) == 0 {
		return nil, errors.New("fleet: no MQTT devices to simulate")
	}
	if ramp < 0 {
		return nil, fmt.Errorf("fleet: negative ramp %v", ramp)
	}
	f := &Fleet{byID: make(map[string]*Device, len(devs))}
	var errs []error
	for i, rd := range devs {
		d, err := New(cfg, rd)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := f.byID[d.id]; dup {
			errs = append(errs, fmt.Errorf("fleet: device %s listed twice", d.id))
			continue
		}
		d.startDelay = ramp * time.Duration(i) / time.Duration(len(devs))
		f.devices = append(f.devices, d)
		f.byID[d.id] = d
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return f, nil
}

// Devices returns the simulated devices in registry order.
func (f *Fleet) Devices() []*Device { return f.devices }

// Device returns the simulated device with the given id.
func (f *Fleet) Device(id string) (*Device, bool) {
	d, ok := f.byID[id]
	return d, ok
}

// Run runs every device until ctx ends and waits for all of them to stop.
func (f *Fleet) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(f.devices))
	for i, d := range f.devices {
		wg.Go(func() { errs[i] = d.Run(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
