package engine

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// CommandSpec is a command a rule sends when it raises.
type CommandSpec struct {
	// To is "self" (the device that raised) or "linked_cameras" (the
	// device's registry cameras and every camera of its cell).
	To string `yaml:"to" json:"to"`
	// Cmd is the device command: strobe, siren, clip, ...
	Cmd string `yaml:"cmd" json:"cmd"`
	// Args go with it: {seconds: 120}, {before_s: 10, after_s: 30}.
	Args map[string]any `yaml:"args,omitempty" json:"args,omitempty"`
}

// Targets of CommandSpec.To.
const (
	ToSelf          = "self"
	ToLinkedCameras = "linked_cameras"
)

// duressType is the silent panic: its box must stay dark and quiet.
const duressType = event.ButtonDuress

func checkCommands(r Rule) []problem {
	var probs []problem
	bad := func(format string, args ...any) {
		probs = append(probs, problem{"commands", fmt.Errorf(format, args...)})
	}
	silent := slices.ContainsFunc(r.Types, func(typ string) bool { ok, _ := path.Match(typ, duressType); return ok })
	for i, c := range r.Commands {
		switch c.To {
		case ToSelf:
			if silent {
				bad("command %d: a rule on %s (silent panic) must not command the box itself: it stays dark and quiet", i, duressType)
			}
		case ToLinkedCameras:
		default:
			bad("command %d: to %q: want self or linked_cameras", i, c.To)
		}
		if !registry.ValidID(c.Cmd) {
			bad("command %d: cmd %q: want a command name such as strobe", i, c.Cmd)
		}
	}
	if len(r.Commands) > 0 && r.Absence != nil {
		probs = append(probs, problem{"commands", errors.New("an absence rule raises nothing, so commands nothing")})
	}
	return probs
}

// cloneCommands copies the specs (and their argument maps, shallowly).
func cloneCommands(cs []CommandSpec) []CommandSpec {
	if cs == nil {
		return nil
	}
	out := make([]CommandSpec, len(cs))
	for i, c := range cs {
		out[i] = CommandSpec{To: c.To, Cmd: c.Cmd, Args: maps.Clone(c.Args)}
	}
	return out
}

// commands makes r's commands for a raise on device.
func (e *Engine) commands(r *compiled, device string, dev *registry.Device) []event.Command {
	var out []event.Command
	for _, c := range r.Commands {
		if c.To == ToSelf {
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
