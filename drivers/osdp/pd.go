package osdp

import (
	"fmt"
	"time"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/osdp/wire/sc"
	"github.com/gridwatch/gridwatch/drivers/wiegand"
)

// linkState is what the bus knows of a PD's link.
type linkState int

const (
	stateUnknown linkState = iota // not yet tried
	stateOnline
	stateOffline
)

func (s linkState) String() string {
	switch s {
	case stateOnline:
		return "online"
	case stateOffline:
		return "offline"
	}
	return "unknown"
}

// pd is the bus's view of one PD; only Run's goroutine touches it.
type pd struct {
	cfg       PDConfig
	addr      byte
	format    wiegand.Format
	sqn       byte // SQN of the next command; 0 resets the link
	state     linkState
	nextProbe time.Time
	lastReply time.Time

	key     *sc.Key // secure channel base key; nil: clear text
	keyNo   byte
	sess    *sc.Session
	scAlarm bool // a secure channel failure has been reported

	pending []wire.Frame // commands to send before the next POLL

	door  *doorMonitor // nil: no door configured
	turns int          // POLL turns, for Door.PollInputs

	id      *wire.PDID
	caps    []wire.Capability
	tamper  *bool
	power   *bool // true = mains failure
	inputs  []bool
	outputs []bool
}

// PDStatus is what the bus knows of one PD, for the device API.
type PDStatus struct {
	Device       string            `json:"device"`
	Address      int               `json:"address"`
	State        string            `json:"state"`  // unknown, online, offline
	Secure       bool              `json:"secure"` // a secure channel session is up
	ID           *wire.PDID        `json:"id,omitempty"`
	Capabilities []wire.Capability `json:"capabilities,omitempty"`
	Tamper       *bool             `json:"tamper,omitempty"`
	PowerFailure *bool             `json:"power_failure,omitempty"`
	Inputs       []bool            `json:"inputs,omitempty"`
	Outputs      []bool            `json:"outputs,omitempty"`
	LastReply    time.Time         `json:"last_reply"`
}

func (p *pd) snapshot() PDStatus {
	s := PDStatus{Device: p.cfg.Device, Address: int(p.addr), State: p.state.String(), Secure: p.sess != nil, LastReply: p.lastReply,
		Capabilities: append([]wire.Capability(nil), p.caps...), Inputs: append([]bool(nil), p.inputs...),
		Outputs: append([]bool(nil), p.outputs...)}
	if p.id != nil {
		id := *p.id
		s.ID = &id
	}
	if p.tamper != nil {
		t := *p.tamper
		s.Tamper = &t
	}
	if p.power != nil {
		f := *p.power
		s.PowerFailure = &f
	}
	return s
}

// identity is the data of a device.online event.
func (p *pd) identity() map[string]any {
	d := map[string]any{"address": int(p.addr)}
	if p.id != nil {
		d["vendor"] = fmt.Sprintf("%02X%02X%02X", p.id.VendorOUI[0], p.id.VendorOUI[1], p.id.VendorOUI[2])
		d["model"] = int(p.id.Model)
		d["serial"] = fmt.Sprintf("%08X", p.id.Serial)
		d["firmware"] = p.id.Firmware()
	}
	return d
}
