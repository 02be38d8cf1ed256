package rulefile

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// field is a placeholder of a rule title.
type field int

const (
	literal field = iota // plain text
	fieldDevice
	fieldGrid
	fieldLocation
)

// Template is a rule title split into literal text and placeholders once,
// so rendering is a few appends.
type Template []segment

type segment struct {
	field field
	text  string
}

// ParseTemplate splits a title at its {{placeholders}}: {{device}},
// {{grid}} and {{location}}.
func ParseTemplate(s string) (Template, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty title")
	}
	var t Template
	for rest := s; rest != ""; {
		open := strings.Index(rest, "{{")
		if open < 0 {
			t = append(t, segment{text: rest})
			break
		}
		if open > 0 {
			t = append(t, segment{text: rest[:open]})
		}
		end := strings.Index(rest[open:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("title %q: unclosed {{", s)
		}
		name := strings.TrimSpace(rest[open+2 : open+end])
		var f field
		switch name {
		case "device":
			f = fieldDevice
		case "grid":
			f = fieldGrid
		case "location":
			f = fieldLocation
		default:
			return nil, fmt.Errorf("title %q: unknown placeholder {{%s}} (want device, grid or location)", s, name)
		}
		t = append(t, segment{field: f})
		rest = rest[open+end+2:]
	}
	return t, nil
}

// Render fills the placeholders from the event's device and cell (either
// may be nil: the device's id stands in for its name).
func (t Template) Render(ev *event.Event, dev *registry.Device, grid *registry.Grid) string {
	if len(t) == 1 && t[0].field == literal {
		return t[0].text
	}
	var b strings.Builder
	for _, s := range t {
		switch s.field {
		case fieldDevice:
			b.WriteString(deviceName(ev, dev))
		case fieldGrid:
			b.WriteString(gridName(dev, grid))
		case fieldLocation:
			if dev != nil && dev.Location != nil {
				b.WriteString(strconv.FormatFloat(dev.Location.Lat, 'f', -1, 64))
				b.WriteByte(',')
				b.WriteString(strconv.FormatFloat(dev.Location.Lon, 'f', -1, 64))
			}
		default:
			b.WriteString(s.text)
		}
	}
	return b.String()
}

func deviceName(ev *event.Event, dev *registry.Device) string {
	if dev != nil && dev.Name != "" {
		return dev.Name
	}
	return ev.Device
}

func gridName(dev *registry.Device, grid *registry.Grid) string {
	switch {
	case grid != nil && grid.Name != "":
		return grid.Name
	case grid != nil:
		return grid.ID
	case dev != nil:
		return dev.Grid
	}
	return ""
}
