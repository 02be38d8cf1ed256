package engine

import (
	"strconv"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// FuzzEventStream feeds random event streams (types, devices, cards and
// times that jump back and forth) through the built-in rules plus keyed
// count and sequence rules with a small key limit: nothing panics, state
// stays within its bounds, and Tick only ever derives offline and online
// events, alternating per device.
func FuzzEventStream(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add([]byte{12, 12, 12, 12, 12, 12, 12, 12, 200, 3, 255, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxKeys = 16
		rules := append(rulefile.Builtin(),
			rulefile.Rule{ID: "card", Types: []string{"access.*"}, Severity: event.Orange, Title: "t",
				Count: &rulefile.Count{AtLeast: 3, Within: rulefile.Duration(time.Minute), By: "data.card"}},
			rulefile.Rule{ID: "seq", Types: []string{event.Motion}, Severity: event.Red, Title: "t",
				Sequence: &rulefile.Sequence{Then: []string{event.LineCross}, Within: rulefile.Duration(10 * time.Second), By: "data.card"}},
		)
		e, err := Compile(Config{Rules: rules, MaxKeys: maxKeys})
		if err != nil {
			t.Fatal(err)
		}
		types := []string{event.ButtonPressed, event.AccessDenied, event.AccessGranted, event.Motion, event.LineCross,
			event.TamperOpen, event.TamperClosed, event.DeviceOffline, event.DeviceOnline, event.VideoLoss, "vendor.x", ""}
		devs := make([]*registry.Device, 8)
		for i := range devs {
			devs[i] = &registry.Device{ID: "d" + strconv.Itoa(i), Kind: registry.Kind([]string{"lightbox", "camera", "reader", "io"}[i%4]),
				Grid: "g" + strconv.Itoa(i%3), Heartbeat: time.Duration(1+i) * time.Second}
		}
		now := t0.UnixMilli()
		online := map[string]bool{}
		for len(data) >= 3 {
			b0, b1, b2 := data[0], data[1], data[2]
			data = data[3:]
			now += (int64(b2) - 100) * 500 // back up to 50 s, on up to 77 s
			dev := devs[int(b0)%len(devs)]
			ev := event.Event{Device: dev.ID, Type: types[int(b1)%len(types)], Received: now, TS: now,
				Data: map[string]any{"card": strconv.Itoa(int(b1) % 40)}}
			if b0&0x80 != 0 {
				ev.Data = nil
			}
			for _, tr := range e.Evaluate(&ev, dev, nil) {
				if tr.Rule == "" || tr.Device != dev.ID || (!tr.Clear && !tr.Severity.Valid()) {
					t.Fatalf("bad trigger %+v", tr)
				}
			}
			for _, d := range e.Tick(time.UnixMilli(now)) {
				switch d.Type {
				case event.DeviceOffline:
					if online[d.Device+"-off"] {
						t.Fatalf("%s declared offline twice", d.Device)
					}
					online[d.Device+"-off"] = true
				case event.DeviceOnline:
					if !online[d.Device+"-off"] {
						t.Fatalf("%s back online without being offline", d.Device)
					}
					online[d.Device+"-off"] = false
				default:
					t.Fatalf("Tick derived %+v", d)
				}
			}
			if s := e.Stats(); s.Keys > 3*maxKeys+len(devs) {
				t.Fatalf("state grew to %d keys", s.Keys)
			}
		}
	})
}
