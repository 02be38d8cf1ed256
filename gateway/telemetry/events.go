package telemetry

import (
	"fmt"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api/write"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// EventMeasurement is the InfluxDB measurement device events go to.
const EventMeasurement = "device_event"

// dataPrefix starts the field name of each of an event's data values.
const dataPrefix = "data_"

// WriteEvent writes one device event of dev, which sits in grid (either
// may be nil; grid, when given, wins over dev.Grid), as a point of
// device_event at the event's own time. With a spool it is durable once
// WriteEvent returns nil and is never dropped for room; see keep.
//
// Writing the same event again (a journal replay after a crash) gives the
// same series and time, so InfluxDB keeps it once.
func (w *Writer) WriteEvent(ev event.Event, dev *registry.Device, grid *registry.Grid) error {
	p, err := w.eventPoint(ev, dev, grid)
	if err != nil {
		w.m.failed.Inc()
		return err
	}
	return w.keep(p, fmt.Sprintf("event %s of %s", ev.Type, ev.Device))
}

// eventPoint builds the device_event point of ev.
func (w *Writer) eventPoint(ev event.Event, dev *registry.Device, grid *registry.Grid) (*write.Point, error) {
	if ev.Type == "" {
		return nil, fmt.Errorf("telemetry: event %d of %q has no type", ev.ID, ev.Device)
	}
	if ev.TS <= 0 {
		return nil, fmt.Errorf("telemetry: event %s of %q has no time (ts %d)", ev.Type, ev.Device, ev.TS)
	}
	device, gridID, kind := ev.Device, "", ""
	if dev != nil {
		device, gridID, kind = dev.ID, dev.Grid, string(dev.Kind)
	}
	if grid != nil {
		gridID = grid.ID
	}
	if device == "" {
		return nil, fmt.Errorf("telemetry: event %s at %d names no device", ev.Type, ev.TS)
	}
	l3, l4 := w.levels(gridID)
	tags := tagSet("site", w.cfg.Site, "grid", gridID, "grid_l3", l3, "grid_l4", l4,
		"device", device, "kind", kind, "type", ev.Type)
	fields := map[string]any{"seq": ev.Seq, "journal_id": int64(ev.ID)} // InfluxDB 1.8 has no unsigned fields
	if ev.Source != "" {
		fields["source"] = string(ev.Source)
	}
	for k, v := range fieldsOf(ev.Data) {
		fields[dataPrefix+k] = v
	}
	return write.NewPoint(EventMeasurement, tags, fields, time.UnixMilli(ev.TS)), nil
}
