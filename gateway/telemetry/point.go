package telemetry

import (
	"encoding/json"
	"math"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api/write"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Measurement is the InfluxDB measurement telemetry is written to.
const Measurement = "device_telemetry"

// sample is what Write queues: the telemetry and the tags it gets, taken
// from the registry at the time of the call.
type sample struct {
	tel    event.Telemetry
	device string
	grid   string
	kind   string
	l3, l4 string // the grid's level-3 and level-4 ancestors

	// pt, when set, is a ready event or alarm point that goes as it is
	// (on the in-memory queue only; the spool holds line protocol).
	pt *write.Point
}

// point turns a sample into an InfluxDB point. It reports false when the
// sample has no field InfluxDB can store.
func point(site string, s sample, now time.Time) (*write.Point, bool) {
	fields := fieldsOf(s.tel.Fields)
	if len(fields) == 0 {
		return nil, false
	}
	tags := tagSet("site", site, "grid", s.grid, "grid_l3", s.l3, "grid_l4", s.l4, "device", s.device, "kind", s.kind)
	return write.NewPoint(Measurement, tags, fields, sampleTime(s.tel, now)), true
}

// sampleTime is the device's own timestamp, else when the gateway received
// the sample, else now.
func sampleTime(t event.Telemetry, now time.Time) time.Time {
	switch {
	case t.TS != 0:
		return time.UnixMilli(t.TS)
	case t.Received != 0:
		return time.UnixMilli(t.Received)
	}
	return now
}

// fieldsOf keeps the fields InfluxDB can store without a type conflict:
// float64, bool and string as they are, every other number as float64 (so
// a device sending 12 one time and 12.5 the next does not break its
// series), and drops NaN and infinities (line protocol cannot carry them),
// other types, empty keys and "time" (a key InfluxDB refuses).
func fieldsOf(in map[string]any) map[string]any {
	out := make(map[string]any, len(in))
	for k, v := range in {
		if k == "" || k == "time" {
			continue
		}
		if f, ok := fieldValue(v); ok {
			out[k] = f
		}
	}
	return out
}

func fieldValue(v any) (any, bool) {
	var f float64
	switch x := v.(type) {
	case bool, string:
		return x, true
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int8:
		f = float64(x)
	case int16:
		f = float64(x)
	case int32:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint:
		f = float64(x)
	case uint8:
		f = float64(x)
	case uint16:
		f = float64(x)
	case uint32:
		f = float64(x)
	case uint64:
		f = float64(x)
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil {
			return nil, false
		}
	default:
		return nil, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, false
	}
	return f, true
}
