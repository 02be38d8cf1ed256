package registry

import (
	"fmt"
	"regexp"
	"time"
)

// BuiltinModbusProfile is the profile of a Modbus device that names none:
// the light box I/O module (DI 0 button, DI 1 tamper, DI 2 mains; coils
// strobe 0, siren 1, unlock 2). The driver defines it; a site profile may
// not take its name.
const BuiltinModbusProfile = "lightbox-io"

// Limits of a Modbus profile.
const (
	MaxModbusInputs = 2000 // one Read Discrete Inputs request
	MaxModbusCoil   = 65535
	MaxModbusPulse  = time.Hour
)

// ModbusProfile says what the points of a site's own kind of Modbus I/O
// module mean: which input edges are which events, and which coil each
// command drives.
type ModbusProfile struct {
	ID string `yaml:"id" json:"id"`
	// Inputs is how many discrete inputs, from 0, are read each poll;
	// 0: one more than the highest input an edge names.
	Inputs  int            `yaml:"inputs,omitempty" json:"inputs,omitempty"`
	Edges   []ModbusEdge   `yaml:"edges,omitempty" json:"edges,omitempty"`
	Outputs []ModbusOutput `yaml:"outputs,omitempty" json:"outputs,omitempty"`
}

// ModbusEdge turns one discrete input's changes into event types.
type ModbusEdge struct {
	Input   int    `yaml:"input" json:"input"`
	Rising  string `yaml:"rising,omitempty" json:"rising,omitempty"`
	Falling string `yaml:"falling,omitempty" json:"falling,omitempty"`
}

// ModbusOutput is the coil a command (strobe, siren, unlock, …) drives.
type ModbusOutput struct {
	Cmd  string `yaml:"cmd" json:"cmd"`
	Coil int    `yaml:"coil" json:"coil"`
	// Pulse, when set, is how long the coil is on for this command,
	// whatever seconds the command asks; 0: the command's seconds.
	Pulse time.Duration `yaml:"pulse,omitempty" json:"pulse,omitempty"`
}

// InputCount is p.Inputs, or one more than the highest input an edge
// names when p.Inputs is 0.
func (p *ModbusProfile) InputCount() int {
	if p.Inputs > 0 {
		return p.Inputs
	}
	n := 1
	for _, e := range p.Edges {
		n = max(n, e.Input+1)
	}
	return n
}

// ModbusProfile returns the site's Modbus profile with the given id (not
// the built-in one).
func (r *Registry) ModbusProfile(id string) (*ModbusProfile, bool) {
	p, ok := r.profiles[id]
	return p, ok
}

// ModbusProfiles returns the site's Modbus profiles, sorted by id.
func (r *Registry) ModbusProfiles() []*ModbusProfile {
	return sortedValues(r.profiles, func(p *ModbusProfile) string { return p.ID })
}

// eventName is an event type or command: dotted lower case words.
var eventName = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)

// validateModbusProfiles checks the site's profiles and returns the good
// ids.
func (d *decoder) validateModbusProfiles(list []entry[ModbusProfile]) map[string]bool {
	seen := map[string]*spot{}
	good := map[string]bool{}
	for i := range list {
		p, s := &list[i].v, &list[i].spot
		if !d.checkID(s, p.ID, seen) {
			continue
		}
		if p.ID == BuiltinModbusProfile {
			d.add(s.lineOf("id"), s.subject, "%q is the built-in profile; give yours another id", p.ID)
			continue
		}
		good[p.ID] = true
		if s.good("inputs") && (p.Inputs < 1 || p.Inputs > MaxModbusInputs) {
			d.add(s.lineOf("inputs"), s.subject, "inputs %d out of range 1..%d", p.Inputs, MaxModbusInputs)
		}
		if len(p.Edges) == 0 && len(p.Outputs) == 0 && !s.bad["edges"] && !s.bad["outputs"] {
			d.add(s.line, s.subject, "neither edges nor outputs: the profile does nothing")
		}
		inputs := map[int]bool{}
		for j, e := range p.Edges {
			pre := fmt.Sprintf("edges[%d].", j)
			at := s.lineOf(fmt.Sprintf("edges[%d]", j))
			switch {
			case !s.has(pre + "input"):
				d.add(at, s.subject, "%sinput missing", pre)
			case !s.good(pre + "input"):
			case e.Input < 0 || e.Input >= MaxModbusInputs:
				d.add(at, s.subject, "%sinput %d out of range 0..%d", pre, e.Input, MaxModbusInputs-1)
			case s.good("inputs") && p.Inputs > 0 && e.Input >= p.Inputs:
				d.add(at, s.subject, "%sinput %d: the profile reads inputs 0..%d", pre, e.Input, p.Inputs-1)
			case inputs[e.Input]:
				d.add(at, s.subject, "%sinput %d given twice", pre, e.Input)
			}
			inputs[e.Input] = true
			if e.Rising == "" && e.Falling == "" && !s.bad[pre+"rising"] && !s.bad[pre+"falling"] {
				d.add(at, s.subject, "%s: give rising, falling or both", pre[:len(pre)-1])
			}
			for _, t := range []string{e.Rising, e.Falling} {
				if t != "" && !eventName.MatchString(t) {
					d.add(at, s.subject, "%s: event type %q: want dotted lower case, like door.forced", pre[:len(pre)-1], t)
				}
			}
		}
		cmds := map[string]bool{}
		for j, o := range p.Outputs {
			pre := fmt.Sprintf("outputs[%d].", j)
			at := s.lineOf(fmt.Sprintf("outputs[%d]", j))
			switch {
			case o.Cmd == "" && !s.bad[pre+"cmd"]:
				d.add(at, s.subject, "%scmd missing", pre)
			case o.Cmd != "" && !eventName.MatchString(o.Cmd):
				d.add(at, s.subject, "%scmd %q: want lower case, like strobe", pre, o.Cmd)
			case cmds[o.Cmd]:
				d.add(at, s.subject, "%scmd %q given twice", pre, o.Cmd)
			}
			cmds[o.Cmd] = true
			if !s.has(pre + "coil") {
				d.add(at, s.subject, "%scoil missing", pre)
			} else if s.good(pre+"coil") && (o.Coil < 0 || o.Coil > MaxModbusCoil) {
				d.add(at, s.subject, "%scoil %d out of range 0..%d", pre, o.Coil, MaxModbusCoil)
			}
			if s.good(pre+"pulse") && (o.Pulse <= 0 || o.Pulse > MaxModbusPulse) {
				d.add(at, s.subject, "%spulse %s out of range (0s, %s]", pre, o.Pulse, MaxModbusPulse)
			}
		}
	}
	return good
}

// checkModbusProfile reports a device naming a profile that is neither
// built in nor the site's.
func (d *decoder) checkModbusProfile(dev *Device, s *spot, profiles map[string]bool) {
	if dev.Modbus == nil || !s.good("modbus.profile") {
		return
	}
	if p := dev.Modbus.Profile; p != "" && p != BuiltinModbusProfile && !profiles[p] {
		d.add(s.lineOf("modbus.profile"), s.subject, "unknown modbus.profile %q (want %s or one of modbus_profiles)", p, BuiltinModbusProfile)
	}
}
