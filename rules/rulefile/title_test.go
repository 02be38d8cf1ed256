package rulefile

import (
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

var (
	testGrid = &registry.Grid{ID: "lh-g4-07", Name: "莲花四级网格7", Level: 4, Parent: "lianhua"}
	lightbox = &registry.Device{ID: "lb-0001", Kind: registry.Lightbox, Grid: "lh-g4-07", Name: "莲花路12号",
		Location: &event.Location{Lat: 33.3, Lon: 111.49}}
	reader = &registry.Device{ID: "rd-0001", Kind: registry.Reader, Grid: "lh-g4-07"}
)

func TestTitlePlaceholders(t *testing.T) {
	tests := []struct {
		title string
		dev   *registry.Device
		grid  *registry.Grid
		want  string
	}{
		{"{{device}}@{{grid}} ({{location}})", lightbox, testGrid, "莲花路12号@莲花四级网格7 (33.3,111.49)"},
		{"{{ device }} / {{grid}}", reader, nil, "dev-9 / lh-g4-07"},
		{"{{grid}}", nil, &registry.Grid{ID: "g9"}, "g9"},
		{"{{device}}{{location}}", nil, nil, "dev-9"},
		{"固定标题", lightbox, testGrid, "固定标题"},
	}
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) {
			ttl, err := ParseTemplate(tt.title)
			if err != nil {
				t.Fatal(err)
			}
			if got := ttl.Render(&event.Event{Device: "dev-9"}, tt.dev, tt.grid); got != tt.want {
				t.Fatalf("render = %q, want %q", got, tt.want)
			}
		})
	}
}
