package mqttlink

import (
	"strings"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// outboundStore is paho's store for what the gateway sends — QoS 1
// publishes (pages, commands, the alarm board) waiting for the broker's
// PUBACK survive a restart — without paho's copy of what it receives.
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
type outboundStore struct{ paho.Store }

// inbound reports whether key names paho's record of a received packet.
func inbound(key string) bool { return strings.HasPrefix(key, "i.") }

// Open opens the store and removes the inbound records an older gateway
// (or a crash of one) left behind, which nothing would delete otherwise.
func (s outboundStore) Open() {
	s.Store.Open()
	for _, key := range s.Store.All() {
		if inbound(key) {
			s.Store.Del(key)
		}
	}
}

// Put keeps outbound packets only.
func (s outboundStore) Put(key string, m packets.ControlPacket) {
	if inbound(key) {
		return
	}
	s.Store.Put(key, m)
}

// Del forgets outbound packets; inbound ones were never kept.
func (s outboundStore) Del(key string) {
	if inbound(key) {
		return
	}
	s.Store.Del(key)
}
