// Package alarm holds the alarm lifecycle: the Alarm noun, its state
// machine (open → acknowledged → on scene → resolved, or cleared by a rule)
// and the durable store alarms live in.
package alarm

import (
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// State is where an alarm is in its lifecycle.
type State string

// The lifecycle states. Resolved and Cleared are closed.
const (
	Open         State = "open"
	Acknowledged State = "acknowledged"
	OnScene      State = "on_scene"
	Resolved     State = "resolved"
	Cleared      State = "cleared"
)

// Closed reports whether the alarm is over.
func (s State) Closed() bool { return s == Resolved || s == Cleared }

// EntryKind names a line of an alarm's timeline.
type EntryKind string

// Timeline entry kinds.
const (
	EntryRaised   EntryKind = "raised"   // the first trigger
	EntryJoined   EntryKind = "joined"   // a repeat trigger joined the open alarm
	EntryNotified EntryKind = "notified" // an escalation step was sent
	EntryAck      EntryKind = "ack"
	EntryArrive   EntryKind = "arrive"
	EntryResolve  EntryKind = "resolve"
	EntryCleared  EntryKind = "cleared" // closed by its rule (condition ended)
	// EntryFallback: a page reached By through a channel other than MQTT
	// (Channel "sms": the phone app was away or the MQTT page failed).
	EntryFallback EntryKind = "fallback"
)

// Entry is one line of an alarm's timeline: what happened, when, who did it,
// through which channel.
type Entry struct {
	At      int64     `json:"at"`
	Kind    EntryKind `json:"kind"`
	By      string    `json:"by,omitempty"`
	Channel string    `json:"channel,omitempty"`
	Note    string    `json:"note,omitempty"`
	Step    int       `json:"step,omitempty"`
	Staff   []string  `json:"staff,omitempty"`
	EventID uint64    `json:"event_id,omitempty"`
	Late    bool      `json:"late,omitempty"`
}

// Alarm is one alarm: a rule fired on a device. Times are Unix milliseconds.
type Alarm struct {
	ID       string          `json:"id"`
	Rule     string          `json:"rule"`
	Severity event.Severity  `json:"severity"`
	Title    string          `json:"title"`
	Device   string          `json:"device"`
	Grid     string          `json:"grid"`
	Location *event.Location `json:"location,omitempty"`
	State    State           `json:"state"`
	// Count is how many triggers this alarm has gathered (1 when raised).
	Count    int   `json:"count"`
	RaisedMS int64 `json:"raised_ms"`
	// EventMS is the time of the event that raised it.
	EventMS int64 `json:"event_ms"`
	// Step is the last escalation step sent; -1 before step 0 went out.
	Step int `json:"step"`
	// NextDeadlineMS is when the next step is due; 0 when nothing is due.
	NextDeadlineMS int64    `json:"next_deadline_ms,omitempty"`
	ClosedMS       int64    `json:"closed_ms,omitempty"`
	Notified       []string `json:"notified,omitempty"` // staff ids paged so far
	// Undelivered maps a staff id whose page failed to the step it was
	// paged for; the escalation desk retries them while the alarm escalates.
	Undelivered map[string]int `json:"undelivered,omitempty"`
	// Pages are the pages sent for this alarm and how far each got
	// (queued, delivered, fallen_back, failed), in the order they went out.
	Pages []Page `json:"pages,omitempty"`
	// Clip is the URL path of the alarm's first evidence clip, known at
	// raise time (pages carry it); Clips are every camera's clip and how
	// far each got.
	Clip  string `json:"clip,omitempty"`
	Clips []Clip `json:"clips,omitempty"`
	// Muted says why this alarm is recorded but pages nobody (a silence,
	// a maintenance window, an inhibiting alarm, flapping); Test marks an
	// installer's test mode. A later unmuted trigger unmutes it.
	Muted    string  `json:"muted,omitempty"`
	Test     bool    `json:"test,omitempty"`
	Timeline []Entry `json:"timeline,omitempty"`
}

// Shift moves the times the gateway stamped on the alarm (raised, closed,
// next deadline, each timeline entry) by d, leaving the device's own
// event time alone. The escalation desk uses it when the wall clock
// stepped while the gateway was down, so deadlines worked out from these
// times keep their real spacing.
func (a *Alarm) Shift(d time.Duration) {
	ms := d.Milliseconds()
	if ms == 0 {
		return
	}
	a.RaisedMS += ms
	if a.NextDeadlineMS != 0 {
		a.NextDeadlineMS += ms
	}
	if a.ClosedMS != 0 {
		a.ClosedMS += ms
	}
	for i := range a.Timeline {
		a.Timeline[i].At += ms
	}
}
