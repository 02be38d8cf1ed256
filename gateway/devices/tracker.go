package devices

import (
	"sync"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// shardCount spreads the devices over this many locks so that concurrent
// writers rarely meet.
const shardCount = 64

// Tracker keeps the status of every device. It is safe for concurrent use;
// build it with New.
type Tracker struct {
	reg      func() *registry.Registry
	onChange func(Status)
	shards   [shardCount]shard
	strange  *strangers
}

type shard struct {
	mu sync.Mutex
	m  map[string]*entry
}

// entry is what the tracker knows of one registered device it heard of.
type entry struct {
	state    string // Unknown, Online or Offline
	stateMS  int64  // the time the state was decided at
	lastSeen int64
	tel      map[string]any // replaced whole, never written into
	telMS    int64
	rejected uint64
	version  uint64
}

// New returns a tracker that looks devices up in the registry reg returns
// (called on each look-up, so a reloaded registry takes effect at once).
// onChange, which may be nil, is called whenever a device's state changes or
// its telemetry arrives; it runs on the caller's goroutine, outside the
// tracker's locks, possibly from many goroutines at once, and must be cheap.
func New(reg func() *registry.Registry, onChange func(Status)) *Tracker {
	if reg == nil {
		reg = func() *registry.Registry { return nil }
	}
	t := &Tracker{reg: reg, onChange: onChange, strange: newStrangers(MaxUnregistered)}
	for i := range t.shards {
		t.shards[i].m = make(map[string]*entry)
	}
	return t
}

// Seen records an accepted message from a registered device at atMS (the
// gateway's receive time). A device not in the registry is ignored here;
// report it with Unregistered.
func (t *Tracker) Seen(id string, atMS int64) {
	sh, e := t.lookup(id)
	if e == nil {
		return
	}
	changed := e.seen(atMS)
	t.finish(sh, id, e, changed)
}

// Telemetry records a telemetry sample; it also counts as a message seen at
// tel.Received (or tel.TS when Received is 0). The sample's Fields map is
// kept as it is, not copied: the caller must not change it afterwards.
func (t *Tracker) Telemetry(tel event.Telemetry) {
	sh, e := t.lookup(tel.Device)
	if e == nil {
		return
	}
	at := tel.Received
	if at == 0 {
		at = tel.TS
	}
	ts := tel.TS
	if ts == 0 {
		ts = at
	}
	changed := e.seen(at)
	if ts >= e.telMS {
		e.tel, e.telMS = tel.Fields, ts
		changed = true
	}
	t.finish(sh, tel.Device, e, changed)
}

// Presence records a device's own statement of being online (which counts
// as a message seen at p.At) or offline. An offline statement older than
// the last message seen from the device is stale and ignored.
func (t *Tracker) Presence(p event.Presence) {
	sh, e := t.lookup(p.Device)
	if e == nil {
		return
	}
	var changed bool
	if p.Online {
		changed = e.seen(p.At)
	} else if e.state != Offline && p.At >= e.lastSeen {
		e.state, e.stateMS = Offline, p.At
		changed = true
	}
	t.finish(sh, p.Device, e, changed)
}

// Rejected counts one refused input from id. For an id that is neither
// registered nor known as unregistered it does nothing (Unregistered
// itself counts the refusal of an unknown device's message).
func (t *Tracker) Rejected(id string) {
	sh, e := t.lookup(id)
	if e == nil {
		t.strange.reject(id)
		return
	}
	e.rejected++
	sh.mu.Unlock()
}

// Sweep declares offline every online device that has been silent for
// longer than its heartbeat interval × 1.5 at nowMS, tells onChange, and
// returns how many it declared. The owner calls it every few seconds.
func (t *Tracker) Sweep(nowMS int64) int {
	reg := t.reg()
	n := 0
	var gone []Status
	for i := range t.shards {
		sh := &t.shards[i]
		gone = gone[:0]
		sh.mu.Lock()
		for id, e := range sh.m {
			if e.state != Online || reg == nil {
				continue
			}
			d, ok := reg.Device(id)
			if !ok {
				continue
			}
			limit := d.Heartbeat.Milliseconds() * 3 / 2
			if nowMS-max(e.lastSeen, e.stateMS) <= limit {
				continue
			}
			e.state, e.stateMS = Offline, max(e.lastSeen, e.stateMS)
			e.version++
			gone = append(gone, e.status(id))
		}
		sh.mu.Unlock()
		for _, st := range gone {
			t.notify(st)
		}
		n += len(gone)
	}
	return n
}

// seen applies a message received at at. It reports whether the state
// changed. A message newer than an offline verdict brings the device back.
func (e *entry) seen(at int64) bool {
	if at > e.lastSeen {
		e.lastSeen = at
	}
	if e.state == Online || (e.state == Offline && at <= e.stateMS) {
		return false
	}
	e.state, e.stateMS = Online, at
	return true
}

// status copies the entry into a Status without the registry's details.
func (e *entry) status(id string) Status {
	return Status{
		ID: id, Registered: true, State: e.state, LastSeenMS: e.lastSeen,
		Telemetry: e.tel, TelemetryMS: e.telMS, Rejected: e.rejected, Version: e.version,
	}
}

// lookup returns id's entry with its shard locked, creating the entry if id
// is registered. It returns a nil entry, and no lock held, for an id the
// tracker does not know and the registry does not hold.
func (t *Tracker) lookup(id string) (*shard, *entry) {
	sh := &t.shards[shardOf(id)]
	sh.mu.Lock()
	if e := sh.m[id]; e != nil {
		return sh, e
	}
	sh.mu.Unlock()
	if _, ok := t.device(id); !ok {
		return sh, nil
	}
	sh.mu.Lock()
	e := sh.m[id]
	if e == nil {
		e = &entry{state: Unknown}
		sh.m[id] = e
	}
	return sh, e
}

// finish unlocks sh and, if the entry changed, reports it.
func (t *Tracker) finish(sh *shard, id string, e *entry, changed bool) {
	if !changed {
		sh.mu.Unlock()
		return
	}
	e.version++
	st := e.status(id)
	sh.mu.Unlock()
	t.notify(st)
}

func (t *Tracker) notify(st Status) {
	if t.onChange == nil {
		return
	}
	t.describe(&st)
	t.onChange(st)
}

// describe fills in what the registry says of st's device.
func (t *Tracker) describe(st *Status) {
	d, ok := t.device(st.ID)
	st.Registered = ok
	if ok {
		st.Kind, st.Grid, st.Name = d.Kind, d.Grid, d.Name
	}
}

func (t *Tracker) device(id string) (*registry.Device, bool) {
	reg := t.reg()
	if reg == nil {
		return nil, false
	}
	return reg.Device(id)
}

// shardOf hashes id with FNV-1a.
func shardOf(id string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return h % shardCount
}
