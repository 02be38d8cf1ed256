package devices

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

func TestCollectorCountsByStateKindGrid(t *testing.T) {
	reg, err := registry.Parse("r.yaml", []byte(`
grids: [{id: g1, name: G1, level: 4}]
devices:
  - {id: lb-1, kind: lightbox, grid: g1}
  - {id: lb-2, kind: lightbox, grid: g1}
  - {id: cam-1, kind: camera, grid: g1}
`))
	if err != nil {
		t.Fatal(err)
	}
	tr := New(func() *registry.Registry { return reg }, nil)
	tr.Seen("lb-1", 1000)
	tr.Presence(event.Presence{Device: "lb-2", Online: false, At: 1000})
	tr.Unregistered("ghost", "gridwatch/v1/dev/ghost/evt", 1000)
	pr := prometheus.NewRegistry()
	pr.MustRegister(tr.Collector())
	want := `
# HELP gridwatch_devices Devices by state (online, offline, unknown, unregistered), kind and grid cell.
# TYPE gridwatch_devices gauge
gridwatch_devices{grid="",kind="",state="unregistered"} 1
gridwatch_devices{grid="g1",kind="camera",state="unknown"} 1
gridwatch_devices{grid="g1",kind="lightbox",state="offline"} 1
gridwatch_devices{grid="g1",kind="lightbox",state="online"} 1
`
	if err := testutil.GatherAndCompare(pr, strings.NewReader(want), "gridwatch_devices"); err != nil {
		t.Error(err)
	}
}
