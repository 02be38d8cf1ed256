// Package broadcast sends an operator's message down the grid tree: an
// anti-fraud warning, a typhoon notice. Every MQTT light box in the chosen
// subtree gets a `speak` command and every staff member serving in it a
// notification (kind "broadcast"); each target's delivery — the device's
// command ack, the channel that reached the person — is tracked and kept
// in a bbolt file, so the security room can see who has not heard it.
//
// Who may broadcast: the security room, the command centre and grid
// leaders, for cells they serve; the whole site (scope "") only someone
// serving every root cell.
package broadcast

import (
	"errors"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Target kinds.
const (
	KindDevice = "device"
	KindStaff  = "staff"
)

// Target statuses. A device target is pending until its command ack (ok,
// failed) or timeout; unsupported when it cannot speak over MQTT (an I/O
// module on a serial bus). A staff target is pending until the person's
// client confirms the page (delivered) or no channel can take it (failed);
// with a Notifier that cannot tell, it is delivered or failed at once.
// Targets still pending when the gateway restarts become timeout, with
// ErrRestarted as their error: the commands they waited on are gone.
const (
	Pending     = "pending"
	OK          = "ok"
	Delivered   = "delivered"
	Failed      = "failed"
	Timeout     = "timeout"
	Unsupported = "unsupported"
)

// CmdSpeak is the command a light box gets: {"text": ..., "broadcast_id": ...}.
const CmdSpeak = "speak"

// MaxText bounds a broadcast's text, in bytes.
const MaxText = 1000

// Errors of Send, for the API to map to status codes.
var (
	ErrForbidden   = errors.New("not allowed to broadcast there")
	ErrUnknownGrid = errors.New("no such grid")
	ErrNotFound    = errors.New("no such broadcast")
	ErrBadRequest  = errors.New("bad broadcast")
)

// Target is one device or person a broadcast goes to.
type Target struct {
	Kind    string `json:"kind"`
	ID      string `json:"id"`
	Status  string `json:"status"`
	Channel string `json:"channel,omitempty"` // what reaches (reached) a person: app, sms
	CID     string `json:"cid,omitempty"`     // a device's command id
	Error   string `json:"error,omitempty"`
	AtMS    int64  `json:"at_ms,omitempty"` // when the status last changed
	// Resent counts the times the box was spoken to again after it came
	// back online (see Service.DeviceBack).
	Resent int `json:"resent,omitempty"`
}

// Broadcast is one message and where it went.
type Broadcast struct {
	ID        string   `json:"id"`
	Scope     string   `json:"grid"` // "" is the whole site
	Text      string   `json:"text"`
	By        string   `json:"by"`
	CreatedMS int64    `json:"created_ms"`
	Targets   []Target `json:"targets"`
	// Summary counts the targets by status.
	Summary map[string]int `json:"summary"`
}

func (b *Broadcast) summarise() {
	b.Summary = map[string]int{}
	for _, t := range b.Targets {
		b.Summary[t.Status]++
	}
}

// notification is what each person gets.
func (b *Broadcast) notification(gridName string) event.Notification {
	return event.Notification{Kind: event.KindBroadcast, BroadcastID: b.ID, Text: b.Text, Title: b.Text,
		Grid: b.Scope, GridName: gridName, RaisedMS: b.CreatedMS, EventMS: b.CreatedMS, Step: 0}
}
