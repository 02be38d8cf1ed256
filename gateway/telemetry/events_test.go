package telemetry

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// levelsOf is a Config.Levels for the fixture grid tree.
func levelsOf(gridID string) (string, string) {
	if strings.HasPrefix(gridID, "lh-g4") {
		return "lianhua-sq", gridID
	}
	return "", ""
}

func TestEventPoint(t *testing.T) {
	h := newHarness(t, Config{Levels: levelsOf})
	dev, grid := lightbox()
	pressed := event.Event{ID: 41, Device: "lb-0001", Type: event.ButtonPressed, TS: 1_700_000_000_123, Seq: 7,
		Source: event.SourceMQTT, Data: map[string]any{"button": 1, "held": true, "nested": map[string]any{"x": 1}}}
	tests := []struct {
		name     string
		ev       event.Event
		dev      *registry.Device
		grid     *registry.Grid
		want     string // line protocol, or the error's text
		wantFail bool
	}{
		{"every tag and flat data", pressed, dev, grid,
			`device_event,device=lb-0001,grid=lh-g4-07,grid_l3=lianhua-sq,grid_l4=lh-g4-07,kind=lightbox,site=lianhua,type=button.pressed data_button=1,data_held=true,journal_id=41i,seq=7i,source="mqtt" 1700000000123`, false},
		{"unregistered device: its id, no grid", event.Event{Device: "x-9", Type: "door.forced", TS: 5}, nil, nil,
			`device_event,device=x-9,site=lianhua,type=door.forced journal_id=0i,seq=0i 5`, false},
		{"no type", event.Event{Device: "x-9", TS: 5}, nil, nil, "has no type", true},
		{"no time", event.Event{Device: "x-9", Type: "motion"}, nil, nil, "has no time", true},
		{"no device", event.Event{Type: "motion", TS: 5}, nil, nil, "names no device", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := h.w.eventPoint(tc.ev, tc.dev, tc.grid)
			if tc.wantFail {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want one saying %q", err, tc.want)
				}
				if werr := h.w.WriteEvent(tc.ev, tc.dev, tc.grid); werr == nil {
					t.Error("WriteEvent took it")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := lineOf(p); got != tc.want {
				t.Errorf("line\n %s\nwant\n %s", got, tc.want)
			}
		})
	}
}

// alarmAt is an alarm of lb-0001 raised at 1000 ms with the given
// timeline after the raised line.
func alarmAt(state alarm.State, entries ...alarm.Entry) alarm.Alarm {
	return alarm.Alarm{ID: "a-1", Rule: "panic", Severity: event.Red, Device: "lb-0001", Grid: "lh-g4-07",
		State: state, Count: 1, RaisedMS: 1000, Step: 0,
		Timeline: append([]alarm.Entry{{At: 1000, Kind: alarm.EntryRaised}}, entries...)}
}

func TestAlarmPoints(t *testing.T) {
	h := newHarness(t, Config{Levels: levelsOf})
	const tags = `device=lb-0001,grid=lh-g4-07,grid_l3=lianhua-sq,grid_l4=lh-g4-07,rule=panic,severity=red,site=lianhua`
	tr := func(entry, state, rest string) string {
		return `alarm_transition,device=lb-0001,entry=` + entry + `,grid=lh-g4-07,grid_l3=lianhua-sq,grid_l4=lh-g4-07,rule=panic,severity=red,site=lianhua,state=` + state + ` ` + rest
	}
	paged := alarm.Entry{At: 1200, Kind: alarm.EntryNotified}
	ack := alarm.Entry{At: 31000, Kind: alarm.EntryAck, By: "s-1"}
	arrive := alarm.Entry{At: 301000, Kind: alarm.EntryArrive}
	resolve := alarm.Entry{At: 901000, Kind: alarm.EntryResolve}
	tests := []struct {
		name string
		a    alarm.Alarm
		want []string // line protocol; one string: the error's text
		bad  bool
	}{
		{"raised: the transition only", alarmAt(alarm.Open), []string{
			tr("raised", "open", `alarm_id="a-1",count=1i,step=0i 1000`)}, false},
		{"paged: still no response", alarmAt(alarm.Open, paged), []string{
			tr("notified", "open", `alarm_id="a-1",count=1i,step=0i 1200`)}, false},
		{"acknowledged: response so far", alarmAt(alarm.Acknowledged, paged, ack), []string{
			tr("ack", "acknowledged", `alarm_id="a-1",count=1i,step=0i 31000`),
			`alarm_response,` + tags + ` alarm_id="a-1",to_ack_ms=30000i,to_first_page_ms=200i 1000`}, false},
		{"resolved: every response time, same point", alarmAt(alarm.Resolved, paged, ack, arrive, resolve), []string{
			tr("resolve", "resolved", `alarm_id="a-1",count=1i,step=0i 901000`),
			`alarm_response,` + tags + ` alarm_id="a-1",to_ack_ms=30000i,to_arrive_ms=300000i,to_first_page_ms=200i,to_resolve_ms=900000i 1000`}, false},
		{"acked before any page: no to_first_page_ms", alarmAt(alarm.Acknowledged, ack), []string{
			tr("ack", "acknowledged", `alarm_id="a-1",count=1i,step=0i 31000`),
			`alarm_response,` + tags + ` alarm_id="a-1",to_ack_ms=30000i 1000`}, false},
		{"no id", alarm.Alarm{Rule: "panic", Timeline: []alarm.Entry{{At: 1}}}, []string{"has no id"}, true},
		{"no timeline", alarm.Alarm{ID: "a-2"}, []string{"empty timeline"}, true},
		{"untimed line", alarm.Alarm{ID: "a-3", Timeline: []alarm.Entry{{Kind: alarm.EntryAck}}}, []string{"has no time"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pts, err := h.w.alarmPoints(tc.a)
			if tc.bad {
				if err == nil || !strings.Contains(err.Error(), tc.want[0]) {
					t.Fatalf("err = %v, want one saying %q", err, tc.want[0])
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range pts {
				got = append(got, lineOf(p))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("lines\n %s\nwant\n %s", strings.Join(got, "\n "), strings.Join(tc.want, "\n "))
			}
		})
	}
}

func TestGridLevels(t *testing.T) {
	r, err := registry.Parse("test", []byte(`
grids:
  - {id: county, name: 县, level: 1}
  - {id: town, name: 镇, level: 2, parent: county}
  - {id: lianhua-sq, name: 莲花社区, level: 3, parent: town}
  - {id: lh-g4-07, name: 网格7, level: 4, parent: lianhua-sq}
  - {id: lh-g5-01, name: 小区1, level: 5, parent: lh-g4-07}
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ grid, l3, l4 string }{
		{"lh-g5-01", "lianhua-sq", "lh-g4-07"},
		{"lh-g4-07", "lianhua-sq", "lh-g4-07"},
		{"lianhua-sq", "lianhua-sq", ""},
		{"town", "", ""},
		{"nowhere", "", ""},
	}
	for _, tc := range tests {
		if l3, l4 := GridLevels(r, tc.grid); l3 != tc.l3 || l4 != tc.l4 {
			t.Errorf("GridLevels(%s) = %q, %q; want %q, %q", tc.grid, l3, l4, tc.l3, tc.l4)
		}
	}
	if l3, l4 := GridLevels(nil, "lh-g5-01"); l3 != "" || l4 != "" {
		t.Errorf("GridLevels(nil) = %q, %q", l3, l4)
	}
}

// TestEventsSurviveAFullSpool floods a small telemetry spool through an
// outage: the oldest telemetry is dropped, every event and alarm
// transition is kept, and they are sent before the telemetry backlog.
func TestEventsSurviveAFullSpool(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		h := newHarness(t, Config{SpoolDir: dir, SpoolBytes: 64 << 10, BatchSize: 500, FlushInterval: time.Second})
		var up atomic.Bool
		f := &fakeSink{fail: func(int, context.Context) error {
			if !up.Load() {
				return connRefused()
			}
			return nil
		}}
		h.useSink(f)
		dev, grid := lightbox()
		stop := h.run(t)
		events := 0
		for i := range 5000 {
			h.w.Write(tel(int64(1+i), 12), dev, grid)
			if i%16 == 0 {
				events++
				ev := event.Event{ID: uint64(i), Device: dev.ID, Type: event.ButtonPressed, TS: int64(1 + i)}
				if err := h.w.WriteEvent(ev, dev, grid); err != nil {
					t.Fatalf("WriteEvent: %v", err)
				}
			}
			if i%200 == 0 {
				time.Sleep(200 * time.Millisecond) // let the spools fsync
			}
		}
		if err := h.w.WriteAlarm(alarmAt(alarm.Open)); err != nil {
			t.Fatalf("WriteAlarm: %v", err)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if d := h.points(t, "dropped"); d == 0 {
			t.Fatal("no telemetry dropped: the spool was not full, the test proves nothing")
		}
		up.Store(true)
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		stop()
		got := f.lines()
		var evs, tels int
		for i, l := range got {
			switch {
			case strings.HasPrefix(l, EventMeasurement+","), strings.HasPrefix(l, AlarmMeasurement+","):
				if tels > 0 {
					t.Fatalf("line %d is an event sent after telemetry: %s", i, l)
				}
				evs++
			default:
				tels++
			}
		}
		if evs != events+1 {
			t.Errorf("%d events and alarm transitions sent, want %d", evs, events+1)
		}
		if w, d := h.points(t, "written"), h.points(t, "dropped"); w != len(got) || w+d != 5000+events+1 {
			t.Errorf("written/dropped = %d/%d, sent %d lines; want written+dropped = %d", w, d, len(got), 5000+events+1)
		}
	})
}

func TestWriteEventAfterStop(t *testing.T) {
	for _, dir := range []string{"", "spool"} {
		t.Run("spool="+dir, func(t *testing.T) {
			cfg := Config{}
			if dir != "" {
				cfg.SpoolDir = t.TempDir()
			}
			h := newHarness(t, cfg)
			h.useSink(&fakeSink{})
			h.run(t)() // run and stop at once
			err := h.w.WriteAlarm(alarmAt(alarm.Open))
			if err == nil || !strings.Contains(err.Error(), "stopped") {
				t.Errorf("WriteAlarm after Run ended: %v, want ErrStopped", err)
			}
		})
	}
}
