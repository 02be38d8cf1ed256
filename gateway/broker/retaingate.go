package broker

import (
	"strings"
	"sync"
	"sync/atomic"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// retainGate keeps mochi's retained index from being written while it is
// read for a SUBSCRIBE.
//
// mochi v2.7.9 keeps on each node of its topic tree the topic of the
// retained message there (particle.retainPath). TopicsIndex.RetainMessage
// writes it under the tree's lock (topics.go:461 on a set, :471 on a
// clear), but scanMessages reads it with no lock (topics.go:554-555 and
// :573) when a SUBSCRIBE with a wildcard asks for its retained messages
// (server.go:1309 publishRetainedToClient, :1126 Messages). The race
// detector reports it; a read torn between a set and a clear is a string
// with a length and no bytes.
//
// The gate is a read-write lock taken from mochi's hooks on the goroutine
// that does the work:
//
//   - a SUBSCRIBE's retained read shares it, from OnPacketSent of its
//     SUBACK (the last thing WritePacket does when the write succeeded;
//     processSubscribe reads the retained messages next) to OnPacketProcessed
//     of the SUBSCRIBE, which processPacket calls however processSubscribe
//     returns. It is taken after the SUBACK is written, so a client that
//     does not read its SUBACK holds nobody up. In between mochi queues the
//     retained messages for the client, and numbering a QoS 1 one waits
//     for the client's lock, which mochi holds while it writes to the
//     client: a client whose socket is full holds the gate until its write
//     times out (pendingConn.Write) and it is dropped.
//   - a client's retained PUBLISH holds it alone from OnPublish (gateLast:
//     after ingest has journaled the message) to OnRetainMessage (gateFirst:
//     before the session store writes it durably).
//   - a client's retained last will, from OnWill (gateLast: after the guard
//     decided on it) to OnRetainMessage.
//   - the gateway's own retained messages: Broker.Publish takes it before
//     the inline publish and OnRetainMessage lets it go, before the message
//     goes to the subscribers (a stuck one holds up that publish, not the
//     gate). Every caller shares one inline client, so the hold is a token
//     of the call, not the client; Broker.Publish lets go itself if mochi
//     did not write the message. Broker.Retained shares it.
//
// OnPacketProcessed, OnWillSent and OnDisconnect release whatever the
// client still holds, so a path that skipped the retained write cannot
// keep the gate. Nothing that runs under the gate publishes a retained
// message or waits for the disk; a network peer only as said above.
//
// mochi's own $SYS topics are set retained every second by its event loop
// with no hook around them, so the gate cannot cover them: a SUBSCRIBE to
// $SYS/… is given no retained messages (retain handling 2, see
// gateLast.OnSubscribe) and gets the figures at the next tick.
type retainGate struct {
	rw sync.RWMutex

	mu      sync.Mutex
	holders atomic.Int32
	held    map[*mqtt.Client]bool // client → holds the gate: true alone (a write), false shared (a read)
	inline  atomic.Pointer[inlineHold]
}

// inlineHold is one Broker.Publish call's hold of the gate.
type inlineHold struct{}

// holdInline takes the gate alone for a retained publish of the gateway.
func (g *retainGate) holdInline() *inlineHold {
	g.rw.Lock()
	t := new(inlineHold)
	g.inline.Store(t)
	return t
}

// releaseInline lets go of t's hold unless OnRetainMessage did.
func (g *retainGate) releaseInline(t *inlineHold) {
	if g.inline.CompareAndSwap(t, nil) {
		g.rw.Unlock()
	}
}

func newRetainGate() *retainGate { return &retainGate{held: map[*mqtt.Client]bool{}} }

// hold takes the gate for cl: alone for a retained write, shared for a
// retained read. A client never holds it twice; should it, the first hold
// is let go rather than deadlock.
func (g *retainGate) hold(cl *mqtt.Client, alone bool) {
	g.release(cl)
	if alone {
		g.rw.Lock()
	} else {
		g.rw.RLock()
	}
	g.mu.Lock()
	g.held[cl] = alone
	g.mu.Unlock()
	g.holders.Add(1)
}

// release lets go of what cl holds, if anything.
func (g *retainGate) release(cl *mqtt.Client) {
	if g.holders.Load() == 0 {
		return // the common case, on every packet: nobody holds it
	}
	g.mu.Lock()
	alone, ok := g.held[cl]
	delete(g.held, cl)
	g.mu.Unlock()
	if !ok {
		return
	}
	g.holders.Add(-1)
	if alone {
		g.rw.Unlock()
	} else {
		g.rw.RUnlock()
	}
}

// gateFirst is the gate's hook that runs before the others: it lets a
// retained write go at once, and takes and ends a SUBSCRIBE's read.
type gateFirst struct {
	mqtt.HookBase
	g *retainGate
}

var _ mqtt.Hook = (*gateFirst)(nil)

func (*gateFirst) ID() string { return "gridwatch-retain-gate-first" }

func (*gateFirst) Provides(b byte) bool {
	switch b {
	case mqtt.OnRetainMessage, mqtt.OnPacketSent, mqtt.OnPacketProcessed:
		return true
	}
	return false
}

// OnRetainMessage: the retained index was written.
func (h *gateFirst) OnRetainMessage(cl *mqtt.Client, _ packets.Packet, _ int64) {
	if cl.Net.Inline {
		if h.g.inline.Swap(nil) != nil {
			h.g.rw.Unlock()
		}
		return
	}
	h.g.release(cl)
}

// OnPacketSent: a SUBACK was written; processSubscribe reads the retained
// messages of its filters next.
func (h *gateFirst) OnPacketSent(cl *mqtt.Client, pk packets.Packet, _ []byte) {
	if pk.FixedHeader.Type == packets.Suback {
		h.g.hold(cl, false)
	}
}

// OnPacketProcessed: whatever the packet was and however it ended, the
// client holds nothing after it.
func (h *gateFirst) OnPacketProcessed(cl *mqtt.Client, _ packets.Packet, _ error) { h.g.release(cl) }

// gateLast is the gate's hook that runs after the others: it takes the
// gate for a client's retained write once every other hook let it through.
type gateLast struct {
	mqtt.HookBase
	g *retainGate
}

var _ mqtt.Hook = (*gateLast)(nil)

func (*gateLast) ID() string { return "gridwatch-retain-gate-last" }

func (*gateLast) Provides(b byte) bool {
	switch b {
	case mqtt.OnPublish, mqtt.OnWill, mqtt.OnWillSent, mqtt.OnDisconnect, mqtt.OnSubscribe:
		return true
	}
	return false
}

// OnPublish: a client's retained message is about to be written (mochi
// retains what every OnPublish let through; see Broker.Publish for the
// gateway's own).
func (h *gateLast) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Retain && !cl.Net.Inline {
		h.g.hold(cl, true)
	}
	return pk, nil
}

// OnWill: a retained will is about to be written. A delayed will would be
// written later without this hook; the guard sends every will at once.
func (h *gateLast) OnWill(cl *mqtt.Client, will mqtt.Will) (mqtt.Will, error) {
	if will.Retain && cl.Properties.Will.WillDelayInterval == 0 {
		h.g.hold(cl, true)
	}
	return will, nil
}

func (h *gateLast) OnWillSent(cl *mqtt.Client, _ packets.Packet)  { h.g.release(cl) }
func (h *gateLast) OnDisconnect(cl *mqtt.Client, _ error, _ bool) { h.g.release(cl) }

// OnSubscribe asks mochi not to read its retained index for a $SYS filter
// (retain handling 2: send no retained messages); see retainGate.
func (*gateLast) OnSubscribe(_ *mqtt.Client, pk packets.Packet) packets.Packet {
	copied := false
	for i, f := range pk.Filters {
		if first, _, _ := strings.Cut(f.Filter, "/"); first != mqtt.SysPrefix || f.RetainHandling == 2 {
			continue
		}
		if !copied {
			pk.Filters = append(packets.Subscriptions(nil), pk.Filters...)
			copied = true
		}
		pk.Filters[i].RetainHandling = 2
	}
	return pk
}
