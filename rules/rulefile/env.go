package rulefile

import (
	"fmt"
	"reflect"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// Env is what a rule's when: condition (and a by: key expression) sees:
//
//	type     the event type, "access.denied"
//	data     the event's data, data.card, data.score
//	ts       the event's time, Unix ms
//	device   device.id, device.kind, device.grid, device.name, device.attrs
//	hour     0-23, minute 0-59 and weekday 0 (Sunday)-6 of ts in the
//	         engine's zone (China Standard Time by default)
//
// Example: `device.attrs.zone == "gate" && (hour >= 22 || hour < 6)`.
type Env struct {
	Type    string         `expr:"type"`
	Data    map[string]any `expr:"data"`
	TS      int64          `expr:"ts"`
	Device  DeviceEnv      `expr:"device"`
	Hour    int            `expr:"hour"`
	Minute  int            `expr:"minute"`
	Weekday int            `expr:"weekday"`
}

// DeviceEnv is the device as a condition sees it; all fields are empty for
// a device not in the registry.
type DeviceEnv struct {
	ID    string            `expr:"id"`
	Kind  string            `expr:"kind"`
	Grid  string            `expr:"grid"`
	Name  string            `expr:"name"`
	Attrs map[string]string `expr:"attrs"`
}

// compileWhen compiles a condition that must be a boolean.
func compileWhen(src string) (*vm.Program, error) {
	p, err := expr.Compile(src, expr.Env(Env{}), expr.AsBool())
	if err != nil {
		return nil, fmt.Errorf("when %q: %w", src, err)
	}
	return p, nil
}

// compileKey compiles a by: expression; its value becomes the key.
func compileKey(src string) (*vm.Program, error) {
	p, err := expr.Compile(src, expr.Env(Env{}))
	if err != nil {
		return nil, fmt.Errorf("by %q: %w", src, err)
	}
	if t := p.Node().Type(); t != nil && t.Kind() != reflect.Interface && t.Kind() != reflect.String &&
		t.Kind() != reflect.Int && t.Kind() != reflect.Int64 && t.Kind() != reflect.Float64 {
		return nil, fmt.Errorf("by %q: gives %v, want a string or a number", src, t)
	}
	return p, nil
}

// Fill sets env for ev and dev (nil for a device not in the registry),
// the hour, minute and weekday told in zone. The maps are shared, not
// copied: a condition only reads them.
func (env *Env) Fill(ev *event.Event, dev *registry.Device, zone *time.Location) {
	env.Type = ev.Type
	env.Data = ev.Data
	env.TS = ev.TS
	t := time.UnixMilli(ev.TS).In(zone)
	env.Hour, env.Minute, env.Weekday = t.Hour(), t.Minute(), int(t.Weekday())
	if dev == nil {
		env.Device = DeviceEnv{ID: ev.Device}
		return
	}
	env.Device = DeviceEnv{ID: dev.ID, Kind: string(dev.Kind), Grid: dev.Grid, Name: dev.Name, Attrs: dev.Attrs}
}
