package device

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
)

// Fault is a condition an installer rehearses on a running device.
type Fault string

// The faults Inject knows.
const (
	MainsLost     Fault = "mains-lost"     // power.mains_lost; telemetry mains false until restored
	MainsRestored Fault = "mains-restored" // power.mains_restored; telemetry mains true again
	BatteryLow    Fault = "battery-low"    // battery.low; telemetry battery_v at LowBatteryV from now on
	Tamper        Fault = "tamper"         // tamper.open
	Reboot        Fault = "reboot"         // says offline then online, and counts events from 1 again
	ClockSkew     Fault = "clock-skew"     // the device's clock runs SkewedBy ahead from now on
)

// Faults lists the faults, for usage messages.
var Faults = []Fault{MainsLost, MainsRestored, BatteryLow, Tamper, Reboot, ClockSkew}

// LowBatteryV is the battery voltage a BatteryLow device reports.
const LowBatteryV = 11.0

// SkewedBy is how far ahead a ClockSkew device's clock runs.
const SkewedBy = 10 * time.Minute

// now is the device's own clock (skewed after ClockSkew).
func (d *Device) now() time.Time { return d.cfg.Now().Add(time.Duration(d.skew.Load())) }

// Inject applies f to the device while Run runs; an event it implies is
// published and acknowledged before Inject returns.
func (d *Device) Inject(ctx context.Context, f Fault) error {
	switch f {
	case MainsLost:
		d.mainsOff.Store(true)
		_, err := d.Emit(ctx, "power.mains_lost", nil)
		return err
	case MainsRestored:
		d.mainsOff.Store(false)
		_, err := d.Emit(ctx, "power.mains_restored", nil)
		return err
	case BatteryLow:
		d.batteryLow.Store(true)
		_, err := d.Emit(ctx, "battery.low", map[string]any{"battery_v": LowBatteryV})
		return err
	case Tamper:
		_, err := d.Emit(ctx, "tamper.open", nil)
		return err
	case Reboot:
		d.seq.Store(0)
		for _, state := range []string{wire.Offline, wire.Online} {
			if err := d.cfg.Dial.Publish(ctx, d.client, d.cfg.Topics.State(d.id), 1, true, []byte(state)); err != nil {
				return fmt.Errorf("device %s: reboot: %w", d.id, err)
			}
		}
		d.log.Info("rebooted: sequence numbers start again at 1")
		return nil
	case ClockSkew:
		d.skew.Store(int64(SkewedBy))
		d.log.Info("clock skewed", "ahead", SkewedBy)
		return nil
	}
	return fmt.Errorf("device %s: unknown fault %q (known: %v)", d.id, f, Faults)
}

// ParseFault checks a fault's name.
func ParseFault(s string) (Fault, error) {
	if f := Fault(s); slices.Contains(Faults, f) {
		return f, nil
	}
	return "", fmt.Errorf("unknown fault %q (known: %v)", s, Faults)
}
