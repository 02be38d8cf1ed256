package commission

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// bigSite is a registry of n light boxes, 20 to a cell, and the site's
// security room.
func bigSite(tb testing.TB, n int) *registry.Registry {
	tb.Helper()
	var b strings.Builder
	b.WriteString("grids:\n  - {id: site, name: 社区, level: 3}\n")
	for c := 0; c*20 < n; c++ {
		fmt.Fprintf(&b, "  - {id: g-%03d, name: 网格%d, level: 4, parent: site}\n", c, c)
	}
	b.WriteString("staff:\n  - {id: room, name: 监控室, role: security_room, grids: [site]}\ndevices:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: lb-%05d, kind: lightbox, grid: g-%03d, heartbeat: 30s}\n", i, i/20)
	}
	reg, err := registry.Parse("registry.yaml", []byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return reg
}

// siteRig opens a service over a site of n boxes whose live view goes to
// onChange, as the gateway's does (it always has a stream to feed).
func siteRig(tb testing.TB, n int, onChange func(Session)) (*Service, *registry.Registry, *time.Time) {
	tb.Helper()
	reg := bigSite(tb, n)
	now := time.Unix(1_790_000_000, 0)
	svc, err := Open(Config{Path: filepath.Join(tb.TempDir(), "commissioning.json"),
		Registry: func() *registry.Registry { return reg }, TestMode: &testMode{active: map[string]time.Time{}},
		Now: func() time.Time { return now }, OnChange: onChange})
	if err != nil {
		tb.Fatal(err)
	}
	return svc, reg, &now
}

// walk is one box's walk test: a heartbeat, a press, the box opened,
// mains lost and restored, a telemetry sample; every step a change.
func walk(svc *Service, id string, at int64) {
	svc.Seen(id, at)
	for _, typ := range []string{event.ButtonPressed, event.TamperOpen, event.PowerMainsLost, event.PowerMainsRestored} {
		svc.Event(&event.Event{Device: id, Type: typ, TS: at - 20, Received: at})
	}
	svc.Telemetry(event.Telemetry{Device: id, Received: at, Fields: map[string]any{"battery_v": 13.1, "rssi_dbm": -70.0}})
}

// BenchmarkSiteSession is a whole-site commissioning session, start to
// end, every box walked through its checks, with the live view on and
// encoded as the stream does for a console watching it (what the gateway
// pays for a session, most of it on ingest's path). Run with
// go test -run XXX -bench BenchmarkSiteSession -benchmem ./gateway/commission
func BenchmarkSiteSession(b *testing.B) {
	for _, n := range []int{200, 2000} {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			var views atomic.Int64
			svc, reg, now := siteRig(b, n, func(ss Session) {
				if _, err := json.Marshal(ss); err != nil {
					b.Error(err)
				}
				views.Add(1)
			})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- svc.Run(ctx) }()
			defer func() { cancel(); <-done }()
			ids := make([]string, 0, n)
			for _, d := range reg.Devices() {
				ids = append(ids, d.ID)
			}
			b.ReportAllocs()
			for b.Loop() {
				ss, err := svc.Start(Request{Site: true, Duration: time.Hour}, permit.Console)
				if err != nil {
					b.Fatal(err)
				}
				for i, id := range ids {
					walk(svc, id, now.UnixMilli()+int64(i))
				}
				if _, err := svc.End(ss.ID, permit.Console); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(views.Load())/float64(b.N), "views/op")
		})
	}
}

// BenchmarkSiteSessionList is GET /api/v1/commissioning with a live
// whole-site session, half walked, and the body it answers.
func BenchmarkSiteSessionList(b *testing.B) {
	for _, n := range []int{200, 2000} {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			svc, reg, now := siteRig(b, n, nil)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			if _, err := svc.Start(Request{Site: true, Duration: time.Hour}, permit.Console); err != nil {
				b.Fatal(err)
			}
			for i, d := range reg.Devices() {
				if i%2 == 0 {
					walk(svc, d.ID, now.UnixMilli())
				}
			}
			svc.List(permit.Console) // the views are kept too
			runtime.GC()
			runtime.ReadMemStats(&after)
			size := 0
			b.ReportAllocs()
			for b.Loop() {
				raw, err := json.Marshal(struct {
					Sessions []Session `json:"sessions"`
				}{svc.List(permit.Console)})
				if err != nil {
					b.Fatal(err)
				}
				size = len(raw)
			}
			b.ReportMetric(float64(size), "body-bytes")
			b.ReportMetric(float64(after.HeapAlloc)-float64(before.HeapAlloc), "session-heap-bytes")
		})
	}
}
