package httpapi

import (
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Bounds of the event stream.
const (
	maxStreams = 64 // clients at once
	// DefaultStreamsPerUser is how many streams one staff member may hold
	// open by default: a console, a wall screen, a laptop and a spare.
	DefaultStreamsPerUser = 4
	// A client that has this many alarm events, or this many devices'
	// updates, waiting is behind: its queue is dropped and it is told to
	// resync.
	maxQueuedAlarms  = 256
	maxQueuedDevices = 4096
)

// hub fans alarm and device changes out to the stream clients. Publishing
// never blocks on a client: each has its own bounded queue, device updates
// are coalesced per device (the latest wins), and a client that falls
// behind loses its queue and gets a resync event instead.
type hub struct {
	m       *metrics
	perUser int
	n       atomic.Int32 // clients, read without the lock on the hot path
	mu      sync.RWMutex
	clients map[*client]struct{}
	byUser  map[string]int // streams open per staff id (auth on only)
}

// client is one stream connection's queue.
type client struct {
	wake chan struct{} // capacity 1: "something is waiting"
	user string        // the staff id holding it; "" with auth off
	who  permit.Caller // whose cells it sees

	mu      sync.Mutex
	alarms  [][]byte // alarm and emergency frames, in order
	devices map[string]deviceFrame
	resync  bool
}

type deviceFrame struct {
	version uint64
	frame   []byte
}

func newHub(m *metrics, perUser int) *hub {
	return &hub{m: m, perUser: perUser, clients: make(map[*client]struct{}), byUser: make(map[string]int)}
}

// Why a stream was refused, as metric labels.
const (
	refusedFull    = "full"     // every slot is taken
	refusedPerUser = "per_user" // the caller holds all of theirs
)

// add registers a new client of who (the console, with auth off, is
// nobody to count against), or returns nil and why not.
func (h *hub) add(who permit.Caller) (*client, string) {
	user := who.ID
	if who.IsConsole() {
		user = ""
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if user != "" && h.byUser[user] >= h.perUser {
		h.m.streamRefused.WithLabelValues(refusedPerUser).Inc()
		return nil, refusedPerUser
	}
	if len(h.clients) >= maxStreams {
		h.m.streamRefused.WithLabelValues(refusedFull).Inc()
		return nil, refusedFull
	}
	c := &client{wake: make(chan struct{}, 1), user: user, who: who, devices: make(map[string]deviceFrame)}
	h.clients[c] = struct{}{}
	if user != "" {
		h.byUser[user]++
	}
	h.n.Store(int32(len(h.clients)))
	h.m.streams.Set(float64(len(h.clients)))
	return c, ""
}

func (h *hub) remove(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; !ok {
		return
	}
	delete(h.clients, c)
	if c.user != "" {
		if h.byUser[c.user]--; h.byUser[c.user] <= 0 {
			delete(h.byUser, c.user)
		}
	}
	h.n.Store(int32(len(h.clients)))
	h.m.streams.Set(float64(len(h.clients)))
}

// PublishAlarm sends an alarm's new state (without its timeline) to every
// stream client who sees it (see sees). It never blocks.
func (s *Server) PublishAlarm(a alarm.Alarm) {
	if s.hub.n.Load() == 0 {
		return
	}
	frame, err := encodeFrame("alarm", withoutTimeline(a))
	if err != nil {
		s.log.Error("http api: stream: cannot encode alarm", "alarm", a.ID, "err", err)
		return
	}
	reg := s.registry()
	s.hub.each(func(c *client) (int, bool) {
		if !sees(reg, c.who, &a) {
			return 0, false
		}
		if len(c.alarms) >= maxQueuedAlarms {
			return c.overflow(), true
		}
		c.alarms = append(c.alarms, frame)
		return 0, true
	})
}

// PublishDevice sends a device's new status to every stream client who
// serves its cell; a client that has not yet taken an earlier status of
// the same device gets only the newest. It never blocks.
func (s *Server) PublishDevice(st devices.Status) {
	if s.hub.n.Load() == 0 {
		return
	}
	frame, err := encodeFrame("device", st)
	if err != nil {
		s.log.Error("http api: stream: cannot encode device status", "device", st.ID, "err", err)
		return
	}
	reg := s.registry()
	s.hub.each(func(c *client) (int, bool) {
		if !permit.ServesCell(reg, c.who, st.Grid) {
			return 0, false
		}
		old, queued := c.devices[st.ID]
		switch {
		case queued && old.version > st.Version:
			return 0, false
		case !queued && len(c.devices) >= maxQueuedDevices:
			return c.overflow(), true
		}
		c.devices[st.ID] = deviceFrame{st.Version, frame}
		return 0, true
	})
}

// each runs put on every client under its lock, wakes it when put queued
// something, and counts the events put dropped.
func (h *hub) each(put func(c *client) (dropped int, queued bool)) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.clients {
		c.mu.Lock()
		first := !c.resync
		dropped, queued := put(c)
		resynced := first && c.resync
		c.mu.Unlock()
		if !queued {
			continue
		}
		if dropped > 0 {
			h.m.dropped.Add(float64(dropped))
		}
		if resynced {
			h.m.resyncs.Inc()
		}
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// overflow drops everything queued (and the event at hand) and asks for a
// resync. It returns how many events were dropped. c.mu is held.
func (c *client) overflow() int {
	n := len(c.alarms) + len(c.devices) + 1
	c.alarms = nil
	c.devices = make(map[string]deviceFrame)
	c.resync = true
	return n
}

// take empties the queue.
func (c *client) take() (resync bool, frames [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	resync, frames = c.resync, c.alarms
	c.resync, c.alarms = false, nil
	for _, d := range c.devices {
		frames = append(frames, d.frame)
	}
	if len(c.devices) > 0 {
		c.devices = make(map[string]deviceFrame)
	}
	return resync, frames
}

// encodeFrame renders one Server-Sent Event. JSON has no raw newlines, so
// the data fits one line.
func encodeFrame(name string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	frame := make([]byte, 0, len(b)+len(name)+16)
	frame = append(frame, "event: "...)
	frame = append(frame, name...)
	frame = append(frame, "\ndata: "...)
	frame = append(frame, b...)
	return append(frame, "\n\n"...), nil
}
