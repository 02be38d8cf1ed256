package mqttlink

import (
	"strings"
	"sync"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// outboundStore is paho's store for what the gateway sends — QoS 1
// publishes (commands, the alarm board) waiting for the broker's PUBACK
// survive a restart — without paho's copy of what it receives, and with
// pages in memory only.
//
// paho writes every inbound QoS 1 PUBLISH to the store when it arrives and
// deletes it when it is acknowledged: with a file store that is a create,
// write, rename and unlink per message on paho's reading goroutine, which
// measured a quarter of the gateway's CPU under an event flood and held
// its drain rate below what one device can send (docs/operations.md, "A
// flooding device"). The copy serves nothing here: paho discards stored
// inbound PUBLISHes when it resumes a session, and a message is
// acknowledged only after ingest has journaled (or refused) it, so the
// broker holds and redelivers anything we had not finished. The link
// subscribes at QoS 1 at most, so there is no inbound QoS 2 state (PUBREL)
// to keep either.
//
// A page (a publish on a staff member's notify topic) is written in the
// escalation desk's goroutine before it goes out: a file there is a
// create, write and rename on the way from a press to the first phone
// (about 0.2 ms a page under the bench, more while other files are
// fsynced). Pages are kept in memory instead, so paho still re-sends them
// on a reconnect; across a restart the delivery ledger re-sends every page
// not yet confirmed (and the journal's replay those it had not stored).
type outboundStore struct {
	paho.Store // the file store
	// page says whether a topic is a page's (memory only).
	page func(topic string) bool

	mu  sync.Mutex
	mem map[string]packets.ControlPacket
}

func newOutboundStore(file paho.Store, page func(topic string) bool) *outboundStore {
	return &outboundStore{Store: file, page: page, mem: make(map[string]packets.ControlPacket)}
}

// inbound reports whether key names paho's record of a received packet.
func inbound(key string) bool { return strings.HasPrefix(key, "i.") }

// Open opens the store and removes the inbound records an older gateway
// (or a crash of one) left behind, which nothing would delete otherwise.
func (s *outboundStore) Open() {
	s.Store.Open()
	for _, key := range s.Store.All() {
		if inbound(key) {
			s.Store.Del(key)
		}
	}
}

// Put keeps outbound packets only: pages in memory, the rest in the file.
func (s *outboundStore) Put(key string, m packets.ControlPacket) {
	if inbound(key) {
		return
	}
	if p, ok := m.(*packets.PublishPacket); ok && s.page(p.TopicName) {
		s.mu.Lock()
		s.mem[key] = m
		s.mu.Unlock()
		return
	}
	s.Store.Put(key, m)
}

// Get returns a stored outbound packet.
func (s *outboundStore) Get(key string) packets.ControlPacket {
	s.mu.Lock()
	m, ok := s.mem[key]
	s.mu.Unlock()
	if ok {
		return m
	}
	return s.Store.Get(key)
}

// All lists the keys in memory and in the file.
func (s *outboundStore) All() []string {
	keys := s.Store.All()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.mem {
		keys = append(keys, k)
	}
	return keys
}

// Del forgets outbound packets; inbound ones were never kept.
func (s *outboundStore) Del(key string) {
	if inbound(key) {
		return
	}
	s.mu.Lock()
	_, ok := s.mem[key]
	delete(s.mem, key)
	s.mu.Unlock()
	if !ok {
		s.Store.Del(key)
	}
}

// Reset forgets everything.
func (s *outboundStore) Reset() {
	s.mu.Lock()
	clear(s.mem)
	s.mu.Unlock()
	s.Store.Reset()
}
