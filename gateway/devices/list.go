package devices

import "github.com/gridwatch/gridwatch/gateway/registry"

// List returns every device of the current registry, sorted by id (state
// Unknown for those never heard of since start), then every unregistered
// id, sorted by id. It forgets what it knew of devices the registry no
// longer holds, and unregistered ids the registry now holds.
func (t *Tracker) List() []Status {
	reg := t.reg()
	var devs []*registry.Device
	if reg != nil {
		devs = reg.Devices()
	}
	t.prune(reg)
	out := make([]Status, 0, len(devs))
	for _, d := range devs {
		out = append(out, t.registered(d))
	}
	return append(out, t.strange.list(func(id string) bool {
		if reg == nil {
			return true
		}
		_, ok := reg.Device(id)
		return !ok
	})...)
}

// Get returns the status of one device, registered or not.
func (t *Tracker) Get(id string) (Status, bool) {
	if d, ok := t.device(id); ok {
		return t.registered(d), true
	}
	return t.strange.get(id)
}

// registered returns the status of a device of the registry.
func (t *Tracker) registered(d *registry.Device) Status {
	st := Status{State: Unknown}
	sh := &t.shards[shardOf(d.ID)]
	sh.mu.Lock()
	if e := sh.m[d.ID]; e != nil {
		st = e.status(d.ID)
	}
	sh.mu.Unlock()
	st.ID, st.Registered = d.ID, true
	st.Kind, st.Grid, st.Name = d.Kind, d.Grid, d.Name
	return st
}

// prune drops the entries of devices reg does not hold.
func (t *Tracker) prune(reg *registry.Registry) {
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for id := range sh.m {
			if reg == nil {
				delete(sh.m, id)
				continue
			}
			if _, ok := reg.Device(id); !ok {
				delete(sh.m, id)
			}
		}
		sh.mu.Unlock()
	}
}
