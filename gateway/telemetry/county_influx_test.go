package telemetry

import (
	"fmt"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestCountyStore is the telemetry upstream of the county tier: the
// writers of two community gateways, configured as a gateway configures
// its own (durable, with a spool), point at one county InfluxDB over the
// v2 write API. Both sites have a light box with the same device id and
// the same grid id — ids are unique per site only — and the county store
// keeps them apart by the site tag alone: per site, every point, with
// the site's own values, queryable and groupable by site.
func TestCountyStore(t *testing.T) {
	x := testsvc.InfluxDB(t)
	const perSite = 50
	sites := map[string]float64{"lianhua": 12.5, "taoyuan": 11.25} // site → its box's battery_v
	dev := &registry.Device{ID: "lb-0001", Kind: registry.Lightbox, Grid: "g4-07"}
	grid := &registry.Grid{ID: "g4-07", Name: "四级网格7", Level: 4}
	for site, volts := range sites {
		h := influxHarness(t, x, Config{Site: site, SpoolDir: t.TempDir()})
		stop := h.run(t)
		for k := range perSite {
			h.w.Write(event.Telemetry{Device: dev.ID, TS: 1_800_000_000_000 + int64(k)*1000,
				Fields: map[string]any{"battery_v": volts, "mains": true}}, dev, grid)
		}
		testsvc.Eventually(t, 60*time.Second, site+": every point written", func() bool {
			return h.points(t, "written") == perSite
		})
		stop()
	}

	series := x.Query(t, fmt.Sprintf(`SELECT count(battery_v), mean(battery_v) FROM %s WHERE device = 'lb-0001' GROUP BY site`, Measurement))
	if len(series) != len(sites) {
		t.Fatalf("GROUP BY site: %d series, want %d: %+v", len(series), len(sites), series)
	}
	for _, s := range series {
		site := s.Tags["site"]
		volts, ok := sites[site]
		if !ok {
			t.Fatalf("series for unknown site %q: %+v", site, s)
		}
		rows := s.Rows()
		if len(rows) != 1 || rows[0]["count"] != float64(perSite) || rows[0]["mean"] != volts {
			t.Errorf("site %s: %v, want count %d mean %v", site, rows, perSite, volts)
		}
	}
	tags := x.Query(t, fmt.Sprintf(`SHOW TAG VALUES FROM %s WITH KEY = "site"`, Measurement))
	var got []any
	for _, s := range tags {
		for _, r := range s.Rows() {
			got = append(got, r["value"])
		}
	}
	if len(got) != 2 || got[0] != "lianhua" || got[1] != "taoyuan" {
		t.Errorf("site tag values %v, want [lianhua taoyuan]", got)
	}
}
