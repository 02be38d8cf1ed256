package escalate

import (
	"slices"
	"sync"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// view is what readers on other goroutines see of the desk's alarms: a
// copy of every open alarm, and of closed ones until they are stored. The
// desk goroutine puts a fresh clone after every change; clones in the view
// are never modified, and readers get clones of them.
type view struct {
	mu     sync.RWMutex
	alarms map[string]*alarm.Alarm
}

func newView() *view { return &view{alarms: make(map[string]*alarm.Alarm)} }

// put stores a clone the caller will not modify again.
func (v *view) put(a *alarm.Alarm) {
	v.mu.Lock()
	v.alarms[a.ID] = a
	v.mu.Unlock()
}

func (v *view) drop(id string) {
	v.mu.Lock()
	delete(v.alarms, id)
	v.mu.Unlock()
}

func (v *view) get(id string) (*alarm.Alarm, bool) {
	v.mu.RLock()
	a, ok := v.alarms[id]
	v.mu.RUnlock()
	if !ok {
		return nil, false
	}
	return a.Clone(), true
}

// matching returns clones of the alarms that pass f (already normalised),
// newest first, without applying its limit.
func (v *view) matching(f alarm.Filter) []*alarm.Alarm {
	v.mu.RLock()
	var out []*alarm.Alarm
	for _, a := range v.alarms {
		if f.Match(a) {
			out = append(out, a.Clone())
		}
	}
	v.mu.RUnlock()
	slices.SortFunc(out, alarm.NewestFirst)
	return out
}

// List returns copies of the alarms that pass f, newest first: open ones
// from memory, closed ones from the store. Safe from any goroutine once
// Ready is closed; before that it fails with ErrNotReady.
func (d *Desk) List(f alarm.Filter) ([]alarm.Alarm, error) {
	f, err := f.Normalize()
	if err != nil {
		return nil, err
	}
	if !d.isReady() {
		return nil, ErrNotReady
	}
	mem := d.view.matching(f)
	if f.State == alarm.FilterAll {
		stored, err := d.cfg.Store.List(f)
		if err != nil {
			return nil, err
		}
		mem = merge(mem, stored)
	}
	if len(mem) > f.Limit {
		mem = mem[:f.Limit]
	}
	out := make([]alarm.Alarm, len(mem))
	for i, a := range mem {
		out[i] = *a
	}
	return out, nil
}

// merge adds the stored alarms the desk does not hold in memory (its
// copies are newer) and keeps the newest-first order.
func merge(mem, stored []*alarm.Alarm) []*alarm.Alarm {
	have := make(map[string]bool, len(mem))
	for _, a := range mem {
		have[a.ID] = true
	}
	for _, a := range stored {
		if !have[a.ID] {
			mem = append(mem, a)
		}
	}
	slices.SortFunc(mem, alarm.NewestFirst)
	return mem
}

// Get returns a copy of one alarm, open or closed, with its timeline. Safe
// from any goroutine once Ready is closed; before that it fails with
// ErrNotReady.
func (d *Desk) Get(id string) (alarm.Alarm, bool, error) {
	if !d.isReady() {
		return alarm.Alarm{}, false, ErrNotReady
	}
	if a, ok := d.view.get(id); ok {
		return *a, true, nil
	}
	a, ok, err := d.cfg.Store.Get(id)
	if err != nil || !ok {
		return alarm.Alarm{}, false, err
	}
	return *a, true, nil
}

func (d *Desk) isReady() bool {
	select {
	case <-d.ready:
		return true
	default:
		return false
	}
}
