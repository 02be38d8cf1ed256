package clips

import (
	"slices"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

const planSite = `
grids:
  - {id: g1, name: G1, level: 4}
devices:
  - {id: lb-1, kind: lightbox, grid: g1, cameras: [cam-rtp, cam-own, cam-rtsp]}
  - {id: lb-2, kind: lightbox, grid: g1}
  - {id: cam-rtp, kind: camera, grid: g1, rtp: {listen: "127.0.0.1:5004"}}
  - {id: cam-rtsp, kind: camera, grid: g1, rtsp: {url: "rtsp://10.0.0.9/stream1"}}
  - {id: cam-own, kind: camera, grid: g1}
  - {id: cam-cell, kind: camera, grid: g1, rtp: {listen: "127.0.0.1:5006"}}
`

func TestPlannerNamesRecordedCameras(t *testing.T) {
	reg, err := registry.Parse("site.yaml", []byte(planSite))
	if err != nil {
		t.Fatal(err)
	}
	p := Planner{Registry: func() *registry.Registry { return reg }}
	clip := func(cams ...string) []event.Command {
		var out []event.Command
		for _, c := range cams {
			out = append(out, event.Command{Device: c, Cmd: CmdClip})
		}
		return out
	}
	tests := []struct {
		name string
		t    event.Trigger
		want []string
	}{
		{"linked cameras the gateway records, in order", event.Trigger{Device: "lb-1"}, []string{"cam-rtp", "cam-rtsp"}},
		{"and the cell's cameras the rule clips", event.Trigger{Device: "lb-1", Commands: clip("cam-rtp", "cam-own", "cam-rtsp", "cam-cell")},
			[]string{"cam-rtp", "cam-rtsp", "cam-cell"}},
		{"a strobe is no clip", event.Trigger{Device: "lb-2", Commands: []event.Command{{Device: "cam-cell", Cmd: "strobe"}}}, nil},
		{"a camera's own alarm", event.Trigger{Device: "cam-cell"}, []string{"cam-cell"}},
		{"a camera that records on its own", event.Trigger{Device: "cam-own"}, nil},
		{"an unknown device", event.Trigger{Device: "nope", Commands: clip("nope-cam")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.ClipCameras(tt.t); !slices.Equal(got, tt.want) {
				t.Fatalf("ClipCameras = %v, want %v", got, tt.want)
			}
		})
	}
}
