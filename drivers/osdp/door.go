package osdp

import (
	"fmt"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// rexInput is the REX input of d: 1 unless set, -1 for none.
func (d *Door) rexInput() int {
	if d.REX == nil {
		return 1
	}
	return *d.REX
}

// doorEvent is one event the door state machine asks the bus to emit.
type doorEvent struct {
	typ  string
	data map[string]any
}

// doorMonitor is the state machine of one door, fed with the PD's inputs
// (ISTATR) and the bus clock. It lives on the bus goroutine.
//
//   - The contact opens while the door is not released (no grant and no
//     REX within the lock time) → door.forced.
//   - It stays open past HeldOpen → door.held_open, once per opening,
//     whether the opening was forced or a normal pass.
//   - It closes → door.closed, after every opening the monitor saw (also a
//     normal pass, so a dashboard always knows the door is shut again),
//     with {forced, held_open, open_ms}.
//
// At every (re)connect the first input report only synchronises: an already
// open door is not forced, but its held-open clock runs from then. A door
// that was still open in alarm before the reconnect and is found closed
// reports door.closed.
type doorMonitor struct {
	contact, rex int
	openLevel    bool // the contact input level that means "open"
	heldOpen     time.Duration
	lockTime     time.Duration

	synced   bool // an input report since the last connect
	known    bool // the contact state has ever been read
	open     bool
	rexOn    bool
	openedAt time.Time
	released time.Time // the door is released until then
	forced   bool      // this opening was forced
	held     bool      // this opening has been reported held open
}

func newDoorMonitor(d *Door) *doorMonitor {
	m := &doorMonitor{contact: d.Contact, rex: d.rexInput(), openLevel: d.ContactOpen != "inactive",
		heldOpen: d.HeldOpen, lockTime: d.LockTime}
	if m.heldOpen == 0 {
		m.heldOpen = 30 * time.Second
	}
	if m.lockTime == 0 {
		m.lockTime = 5 * time.Second
	}
	return m
}

// resync makes the next input report a synchronisation (at connect).
func (m *doorMonitor) resync() { m.synced = false }

// release lets the door be opened without alarm until now + lock time.
func (m *doorMonitor) release(now time.Time) { m.released = now.Add(m.lockTime) }

// inputs takes an input report at now. It returns the events to emit and
// whether the REX button was just pressed. A report without the contact
// input is an error (the door config does not fit the PD).
func (m *doorMonitor) inputs(now time.Time, in []bool) ([]doorEvent, bool, error) {
	if m.contact >= len(in) {
		return nil, false, fmt.Errorf("door contact is input %d but the PD reports %d inputs", m.contact, len(in))
	}
	rexOn := m.rex >= 0 && m.rex < len(in) && in[m.rex]
	pressed := rexOn && !m.rexOn && m.synced
	m.rexOn = rexOn
	if pressed {
		m.release(now) // before the contact: a REX and an opening in one report is a pass
	}
	open := in[m.contact] == m.openLevel
	var evs []doorEvent
	switch {
	case !m.synced:
		m.synced = true
		if m.known && m.open && !open {
			evs = append(evs, m.closed(now))
		} else if open && !(m.known && m.open) {
			m.openedAt, m.forced, m.held = now, false, false
		}
	case open && !m.open:
		m.openedAt, m.held = now, false
		m.forced = !now.Before(m.released)
		if m.forced {
			evs = append(evs, doorEvent{event.DoorForced, map[string]any{"input": m.contact}})
		}
	case !open && m.open:
		evs = append(evs, m.closed(now))
	}
	m.known, m.open = true, open
	return evs, pressed, nil
}

func (m *doorMonitor) closed(now time.Time) doorEvent {
	ev := doorEvent{event.DoorClosed, map[string]any{"forced": m.forced, "held_open": m.held,
		"open_ms": now.Sub(m.openedAt).Milliseconds()}}
	m.forced, m.held = false, false
	return ev
}

// tick checks the held-open deadline at now.
func (m *doorMonitor) tick(now time.Time) []doorEvent {
	if !m.synced || !m.open || m.held || now.Sub(m.openedAt) < m.heldOpen {
		return nil
	}
	m.held = true
	return []doorEvent{{event.DoorHeldOpen, map[string]any{"forced": m.forced, "open_ms": now.Sub(m.openedAt).Milliseconds()}}}
}

// doorInputs feeds p's door with the inputs just reported, emits what it
// says and pulses the lock on a REX that unlocks.
func (b *Bus) doorInputs(p *pd) {
	evs, rex, err := p.door.inputs(b.now(), p.inputs)
	if err != nil {
		b.log.Warn("osdp: door inputs", "device", p.cfg.Device, "err", err)
		return
	}
	b.doorEmit(p, evs)
	if rex && p.cfg.Door.REXUnlocks {
		b.queue(p, lockCommand(lockUnits(p.cfg.Door)))
	}
}

func (b *Bus) doorEmit(p *pd, evs []doorEvent) {
	for _, e := range evs {
		if e.typ != event.DoorClosed {
			b.log.Warn("osdp: door alarm", "device", p.cfg.Device, "event", e.typ)
		}
		b.emit(p, e.typ, e.data)
	}
}
