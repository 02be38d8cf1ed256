package engine

import (
	"slices"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// commands makes r's commands for a raise on device.
func (e *Engine) commands(r *compiled, device string, dev *registry.Device) []event.Command {
	var out []event.Command
	for _, c := range r.Commands {
		if c.To == rulefile.ToSelf {
			out = append(out, event.Command{Device: device, Cmd: c.Cmd, Args: c.Args})
			continue
		}
		for _, cam := range e.linkedCameras(dev) {
			out = append(out, event.Command{Device: cam, Cmd: c.Cmd, Args: c.Args})
		}
	}
	return out
}

// cameraIndex is the cameras of each cell of one registry.
type cameraIndex struct {
	reg    *registry.Registry
	byCell map[string][]string
}

// linkedCameras returns dev's registry cameras, then the other cameras
// of its cell, each once, in id order.
func (e *Engine) linkedCameras(dev *registry.Device) []string {
	if dev == nil {
		return nil
	}
	var cell []string
	if e.registry != nil {
		if reg := e.registry(); reg != nil {
			if e.cams.reg != reg { // a new registry: index it once
				e.cams = cameraIndex{reg: reg, byCell: make(map[string][]string)}
				for _, d := range reg.Devices() {
					if d.Kind == registry.Camera {
						e.cams.byCell[d.Grid] = append(e.cams.byCell[d.Grid], d.ID)
					}
				}
			}
			cell = e.cams.byCell[dev.Grid]
		}
	}
	out := slices.Clone(dev.Cameras)
	for _, c := range cell {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
