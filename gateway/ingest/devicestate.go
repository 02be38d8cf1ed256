package ingest

import (
	"hash/fnv"
	"sync"
	"time"
)

// deviceTable holds per-device ingest state: the flood budget and the
// recently accepted sequence numbers. It is sharded so devices on different
// connections do not contend.
type deviceTable struct {
	rate   float64
	burst  float64
	quiet  time.Duration // see DefaultFloodQuiet
	window time.Duration
	shards [64]struct {
		mu sync.Mutex
		m  map[string]*deviceState
	}
}

func newDeviceTable(rate float64, burst int, quiet, window time.Duration) *deviceTable {
	t := &deviceTable{rate: rate, burst: float64(burst), quiet: quiet, window: window}
	for i := range t.shards {
		t.shards[i].m = make(map[string]*deviceState)
	}
	return t
}

// get returns the device's state, creating it on first use. Only registered
// devices get here, so the table is bounded by the registry.
func (t *deviceTable) get(id string) *deviceState {
	h := fnv.New32a()
	h.Write([]byte(id))
	sh := &t.shards[h.Sum32()%uint32(len(t.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	st, ok := sh.m[id]
	if !ok {
		st = &deviceState{table: t}
		sh.m[id] = st
	}
	return st
}

// dedupeSlots bounds the sequence numbers remembered per device.
const dedupeSlots = 128

// deviceState is one device's flood budget (token buckets, see flood.go)
// and a ring of recently accepted (seq, payload fingerprint) pairs.
type deviceState struct {
	table *deviceTable

	mu    sync.Mutex
	flood flood
	ring  [dedupeSlots]seen
	next  int
}

type seen struct {
	seq int64
	fp  uint64
	at  time.Time
}

// spend takes one message of class c out of the device's budget.
func (s *deviceState) spend(c class, now time.Time) verdict {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flood.spend(c, now, s.table.rate, s.table.burst, s.table.quiet)
}

// unflag clears the device's flood flag.
func (s *deviceState) unflag() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flood.unflag()
}

// seen reports whether the same message (same seq and the same payload
// bytes) was accepted within the dedupe window. Matching on the payload as
// well as seq means a device that reboots and restarts its numbering is not
// mistaken for a resend: its new message differs (its ts at least), while a
// QoS 1 redelivery is byte for byte the same.
func (s *deviceState) seen(seq int64, fp uint64, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.ring {
		e := &s.ring[i]
		if e.seq == seq && e.fp == fp && !e.at.IsZero() && now.Sub(e.at) < s.table.window {
			return true
		}
	}
	return false
}

// remember records an accepted message.
func (s *deviceState) remember(seq int64, fp uint64, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ring[s.next] = seen{seq: seq, fp: fp, at: now}
	s.next = (s.next + 1) % dedupeSlots
}

func fingerprint(payload []byte) uint64 {
	h := fnv.New64a()
	h.Write(payload)
	return h.Sum64()
}
