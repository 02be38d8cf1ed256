package alarm

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// ErrTransition is returned (wrapped with the reason) when an action does
// not apply to the alarm in its current state, e.g. acknowledging an alarm
// that is already resolved.
var ErrTransition = errors.New("invalid alarm transition")

// ErrAction is returned (wrapped) for an action kind outside the contract.
var ErrAction = errors.New("unknown alarm action")

// Raise opens a new alarm with the given id for trigger t on a device in
// grid cell grid, at nowMS. No escalation step has been sent yet (Step is
// -1).
func Raise(id string, t event.Trigger, grid string, loc *event.Location, nowMS int64) *Alarm {
	a := &Alarm{
		ID:       id,
		Rule:     t.Rule,
		Severity: t.Severity,
		Title:    t.Title,
		Device:   t.Device,
		Grid:     grid,
		State:    Open,
		Count:    1,
		RaisedMS: nowMS,
		EventMS:  t.Event.TS,
		Step:     -1,
		Timeline: []Entry{{At: nowMS, Kind: EntryRaised, EventID: t.Event.ID}},
		Muted:    t.Muted,
		Test:     t.Test,
	}
	if t.Muted != "" {
		a.Timeline[0].Note = "muted: " + t.Muted
	}
	if loc != nil {
		l := *loc
		a.Location = &l
	}
	return a
}

// Escalating reports whether the alarm still pages people: only while it
// is open and not muted. An acknowledgement (or arrival, or closing) stops
// escalation.
func (a *Alarm) Escalating() bool { return a.State == Open && a.Muted == "" }

// Apply performs a staff action on the alarm:
//
//	ack:     open → acknowledged
//	arrive:  open | acknowledged → on_scene
//	resolve: open | acknowledged | on_scene → resolved (closed)
//
// Any other combination, and any action on a closed alarm, fails with an
// error wrapping ErrTransition and leaves the alarm unchanged. Every
// applied action appends a timeline entry (who, when, channel, note) and
// ends escalation.
func (a *Alarm) Apply(act event.Action) error {
	if !act.Kind.Valid() {
		return fmt.Errorf("alarm %s: %w %q (want ack, arrive or resolve)", a.ID, ErrAction, act.Kind)
	}
	if a.State.Closed() {
		return fmt.Errorf("alarm %s: cannot %s: it is already %s: %w", a.ID, act.Kind, a.State, ErrTransition)
	}
	var next State
	switch act.Kind {
	case event.Ack:
		if a.State != Open {
			return fmt.Errorf("alarm %s: cannot ack: it is %s, not open: %w", a.ID, a.State, ErrTransition)
		}
		next = Acknowledged
	case event.Arrive:
		if a.State != Open && a.State != Acknowledged {
			return fmt.Errorf("alarm %s: cannot arrive: it is %s: %w", a.ID, a.State, ErrTransition)
		}
		next = OnScene
	case event.Resolve:
		if a.State != Open && a.State != Acknowledged && a.State != OnScene {
			return fmt.Errorf("alarm %s: cannot resolve: unknown state %q: %w", a.ID, a.State, ErrTransition)
		}
		next = Resolved
		a.ClosedMS = act.At
	}
	a.State = next
	a.stopEscalation()
	a.Timeline = append(a.Timeline, Entry{
		At: act.At, Kind: EntryKind(act.Kind), By: act.By, Channel: act.Channel, Note: act.Note,
	})
	return nil
}

// Join adds a repeat trigger to the open alarm: the count grows and the
// timeline records it. Joining is meant for alarms that are not closed; a
// closed alarm is left unchanged.
func (a *Alarm) Join(t event.Trigger, at int64) {
	if a.State.Closed() {
		return
	}
	a.Count++
	e := Entry{At: at, Kind: EntryJoined, EventID: t.Event.ID}
	if a.Muted != "" && t.Muted == "" {
		// The reason to stay quiet has gone: the alarm pages from now,
		// as if raised now (its first entry keeps when it was recorded).
		e.Note = "unmuted (was: " + a.Muted + ")"
		a.Muted, a.Test, a.RaisedMS = "", false, at
	}
	a.Timeline = append(a.Timeline, e)
}

// Clear closes the alarm because its rule's condition ended (state
// cleared). A closed alarm is left unchanged.
func (a *Alarm) Clear(t event.Trigger, at int64) {
	if a.State.Closed() {
		return
	}
	a.State = Cleared
	a.ClosedMS = at
	a.stopEscalation()
	a.Timeline = append(a.Timeline, Entry{At: at, Kind: EntryCleared, EventID: t.Event.ID})
}

// EndTest closes a test alarm (an installer's test-mode press) as
// cleared, with why on its timeline: its time is up, or a real trigger of
// its rule on its device arrived and opens its own alarm. An alarm that
// is not a test, or is closed, is left unchanged; EndTest reports whether
// it closed the alarm.
func (a *Alarm) EndTest(at int64, why string) bool {
	if !a.Test || a.State.Closed() {
		return false
	}
	a.State = Cleared
	a.ClosedMS = at
	a.stopEscalation()
	a.Timeline = append(a.Timeline, Entry{At: at, Kind: EntryCleared, Note: "test ended: " + why})
	return true
}

func (a *Alarm) stopEscalation() {
	a.NextDeadlineMS = 0
	a.Undelivered = nil
}

// Clone returns a deep copy of the alarm that shares nothing mutable with
// it (timeline entries are copied; their Staff lists are never modified
// after an entry is appended, so those are shared).
func (a *Alarm) Clone() *Alarm {
	c := *a
	if a.Location != nil {
		l := *a.Location
		c.Location = &l
	}
	c.Notified = slices.Clone(a.Notified)
	c.Undelivered = maps.Clone(a.Undelivered)
	c.Timeline = slices.Clone(a.Timeline)
	c.Pages = slices.Clone(a.Pages)
	c.Clips = slices.Clone(a.Clips)
	return &c
}
