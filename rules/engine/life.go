package engine

import (
	"fmt"

	"github.com/gridwatch/gridwatch/rules/rulefile"
	"github.com/gridwatch/gridwatch/rules/window"
)

// life is what a rule with clears knows about its alarm on each device:
// whether it is raised and not cleared (active, and the device's cell at
// the time, for inhibition by grid), and for a rule with for: the devices
// whose condition holds and when the alarm is due. Keys are device ids,
// at most max of each.
type life struct {
	max     int
	active  map[string]string // device → its cell
	inGrid  map[string]int    // cell → active devices in it
	held    *window.Deadlines // for: condition holds, raise due at
	due     map[string]int64  // for: deadline passed, raise on the held event
	flaps   map[string]*flapping
	calm    *window.Deadlines // flap: when a flapping device is calm
	dropped uint64
}

func newLife(max int) *life {
	return &life{max: max, active: make(map[string]string), inGrid: make(map[string]int),
		held: window.NewDeadlines(), due: make(map[string]int64),
		flaps: make(map[string]*flapping), calm: window.NewDeadlines()}
}

// keys counts the devices l holds anything for; nil-safe.
func (l *life) keys() int {
	if l == nil {
		return 0
	}
	return len(l.active) + l.held.Len() + len(l.due) + len(l.flaps)
}

func (l *life) droppedKeys() uint64 {
	if l == nil {
		return 0
	}
	return l.dropped
}

// activate records that the alarm on device is raised; it reports
// whether it already was.
func (l *life) activate(device, grid string) bool {
	if _, ok := l.active[device]; ok {
		return true
	}
	if len(l.active) >= l.max {
		l.dropped++
		return false
	}
	l.active[device] = grid
	if grid != "" {
		l.inGrid[grid]++
	}
	return false
}

// deactivate records that the alarm on device is cleared; it reports
// whether it was raised.
func (l *life) deactivate(device string) bool {
	grid, ok := l.active[device]
	if !ok {
		return false
	}
	delete(l.active, device)
	if grid != "" {
		if l.inGrid[grid]--; l.inGrid[grid] <= 0 {
			delete(l.inGrid, grid)
		}
	}
	return true
}

func (l *life) isActive(device string) bool {
	_, ok := l.active[device]
	return ok
}

// hold arms the for: deadline of device unless its condition already
// holds (the earliest start counts).
func (l *life) hold(device string, at int64) {
	if _, ok := l.held.At(device); ok {
		return
	}
	if _, ok := l.due[device]; ok {
		return
	}
	if l.held.Len()+len(l.due) >= l.max {
		l.dropped++
		return
	}
	l.held.Arm(device, at)
}

// release ends a holding condition before its alarm was raised; it
// reports whether one was holding.
func (l *life) release(device string) bool {
	if _, ok := l.held.At(device); ok {
		l.held.Disarm(device)
		return true
	}
	if _, ok := l.due[device]; ok {
		delete(l.due, device)
		return true
	}
	return false
}

// save writes the lines of l's state.
func (l *life) save(put func(record)) {
	for dev, grid := range l.active {
		put(record{K: "active", Key: dev, Grid: grid})
	}
	l.held.Each(func(dev string, at int64) { put(record{K: "held", Key: dev, Due: at}) })
	for dev, at := range l.due {
		put(record{K: "due", Key: dev, Due: at})
	}
	for dev, f := range l.flaps {
		due, _ := l.calm.At(dev)
		put(record{K: "flap", Key: dev, Times: append([]int64(nil), f.times...), On: f.on, Due: due})
	}
}

// load restores one line of l's state.
func (l *life) load(rec record) error {
	switch rec.K {
	case "active":
		l.activate(rec.Key, rec.Grid)
	case "held":
		l.hold(rec.Key, rec.Due)
	case "due":
		if len(l.due) < l.max {
			l.due[rec.Key] = rec.Due
		}
	case "flap":
		if len(rec.Times) > rulefile.MaxCount+1 {
			return errFlapLine
		}
		if len(l.flaps) < l.max {
			l.flaps[rec.Key] = &flapping{times: append([]int64(nil), rec.Times...), on: rec.On}
			if rec.Due != 0 {
				l.calm.Arm(rec.Key, rec.Due)
			}
		}
	default:
		return fmt.Errorf("unknown line kind %q", rec.K)
	}
	return nil
}
