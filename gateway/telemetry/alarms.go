package telemetry

import (
	"fmt"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api/write"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Measurements of alarms.
const (
	// AlarmMeasurement has one point per alarm transition.
	AlarmMeasurement = "alarm_transition"
	// ResponseMeasurement has one point per alarm, at its raised time, with
	// how long each response step took.
	ResponseMeasurement = "alarm_response"
)

// WriteAlarm writes the alarm's latest transition (the last line of its
// timeline) as a point of alarm_transition at that line's time. When that
// line is an ack, an arrival or a resolution, it also writes the alarm's
// alarm_response point: the response times known so far, at the alarm's
// raised time, so that each later write completes the same point. Call it
// after every change of the alarm. With a spool the points are durable
// once WriteAlarm returns nil and are never dropped for room.
//
// Writing the same transition again (a replay after a crash) gives the
// same series and times, so InfluxDB keeps each point once.
func (w *Writer) WriteAlarm(a alarm.Alarm) error {
	pts, err := w.alarmPoints(a)
	if err != nil {
		w.m.failed.Inc()
		return err
	}
	for _, p := range pts {
		if err := w.keep(p, fmt.Sprintf("alarm %s %s", a.ID, p.Name())); err != nil {
			return err
		}
	}
	return nil
}

// alarmPoints builds the points of a's latest transition.
func (w *Writer) alarmPoints(a alarm.Alarm) ([]*write.Point, error) {
	if a.ID == "" {
		return nil, fmt.Errorf("telemetry: alarm of rule %q on %q has no id", a.Rule, a.Device)
	}
	if len(a.Timeline) == 0 {
		return nil, fmt.Errorf("telemetry: alarm %s has an empty timeline", a.ID)
	}
	last := a.Timeline[len(a.Timeline)-1]
	if last.At <= 0 {
		return nil, fmt.Errorf("telemetry: alarm %s: %s entry has no time (at %d)", a.ID, last.Kind, last.At)
	}
	l3, l4 := w.levels(a.Grid)
	common := []string{"site", w.cfg.Site, "grid", a.Grid, "grid_l3", l3, "grid_l4", l4,
		"device", a.Device, "severity", string(a.Severity), "rule", a.Rule}
	tags := tagSet(append(common, "state", string(a.State), "entry", string(last.Kind))...)
	fields := map[string]any{"alarm_id": a.ID, "count": int64(a.Count), "step": int64(a.Step)}
	pts := []*write.Point{write.NewPoint(AlarmMeasurement, tags, fields, time.UnixMilli(last.At))}

	switch last.Kind {
	case alarm.EntryAck, alarm.EntryArrive, alarm.EntryResolve:
	default:
		return pts, nil
	}
	raised := a.RaisedMS
	if raised <= 0 {
		raised = a.Timeline[0].At
	}
	resp := map[string]any{"alarm_id": a.ID}
	for name, kind := range map[string]alarm.EntryKind{
		"to_first_page_ms": alarm.EntryNotified,
		"to_ack_ms":        alarm.EntryAck,
		"to_arrive_ms":     alarm.EntryArrive,
		"to_resolve_ms":    alarm.EntryResolve,
	} {
		if at, ok := firstAt(a.Timeline, kind); ok && at >= raised {
			resp[name] = at - raised
		}
	}
	return append(pts, write.NewPoint(ResponseMeasurement, tagSet(common...), resp, time.UnixMilli(raised))), nil
}

// firstAt returns the time of the first timeline line of kind.
func firstAt(tl []alarm.Entry, kind alarm.EntryKind) (int64, bool) {
	for _, e := range tl {
		if e.Kind == kind {
			return e.At, true
		}
	}
	return 0, false
}
