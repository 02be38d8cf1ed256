package clips

import (
	"slices"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// CmdClip is the rule command asking a camera to keep a clip.
const CmdClip = "clip"

// Recorded reports whether the gateway records the device's video itself:
// a camera whose stream comes to the gateway (rtp or rtsp). Such a camera
// gets no MQTT clip command; a camera that records on its own keeps it.
func Recorded(d *registry.Device) bool {
	return d != nil && d.Kind == registry.Camera && ((d.RTP != nil && d.RTP.Listen != "") || d.RTSP != nil)
}

// Planner names, for the escalation desk, the cameras a new alarm gets a
// clip from: the alarm's device itself when it is a camera, the cameras
// its registry entry links (cameras:), and the cameras its rule sent a
// clip command to (a rule's linked_cameras adds the cameras of the cell)
// — each once, and only those the gateway records (Recorded).
type Planner struct {
	Registry func() *registry.Registry
}

// ClipCameras implements the desk's ClipPlanner.
func (p Planner) ClipCameras(t event.Trigger) []string {
	reg := p.Registry()
	if reg == nil {
		return nil
	}
	var out []string
	add := func(id string) {
		if slices.Contains(out, id) {
			return
		}
		if d, ok := reg.Device(id); ok && Recorded(d) {
			out = append(out, id)
		}
	}
	dev, ok := reg.Device(t.Device)
	if ok {
		add(dev.ID)
		for _, c := range dev.Cameras {
			add(c)
		}
	}
	for _, c := range t.Commands {
		if c.Cmd == CmdClip {
			add(c.Device)
		}
	}
	return out
}
