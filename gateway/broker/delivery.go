package broker

import (
	"encoding/json"
	"strings"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Deliveries is told what becomes of the pages the gateway publishes to
// staff phones (QoS 1 on R/staff/{id}/notify, each carrying a page_id).
// A Config.Handler that also implements Deliveries is told; nothing else
// is needed. Only clients subscribed to a staff member's own notify topic
// exactly count: a console watching R/staff/+/notify acknowledges nothing
// on anyone's behalf.
type Deliveries interface {
	// PageSent: the broker sent page pageID to a client of staffID (or
	// resent it, after a reconnect) and holds it until that client
	// acknowledges it.
	PageSent(staffID, pageID string)
	// PageAcked: that client acknowledged it (its PUBACK): delivered.
	PageAcked(staffID, pageID string)
	// PageDropped: the broker gave it up unacknowledged (a clean session
	// ended, the message expired).
	PageDropped(staffID, pageID string)
	// StaffOnline: a client of staffID (re)connected or subscribed to its
	// notify topic.
	StaffOnline(staffID string)
}

// deliveryHook maps each QoS 1 notify publish to a staff client (client
// id, packet id) to its page, and reports the client's PUBACK for it.
type deliveryHook struct {
	mqtt.HookBase
	to     Deliveries
	prefix string // TopicRoot + "/staff/"

	mu      sync.Mutex
	pending map[string]map[uint16]sentPage // client id → packet id → page
}

type sentPage struct{ staff, page string }

var _ mqtt.Hook = (*deliveryHook)(nil)

// newDeliveryHook reports deliveries to cfg.Handler if it implements
// Deliveries; otherwise the hook does nothing.
func newDeliveryHook(cfg Config) *deliveryHook {
	h := &deliveryHook{prefix: cfg.TopicRoot + "/staff/", pending: make(map[string]map[uint16]sentPage)}
	h.to, _ = cfg.Handler.(Deliveries)
	return h
}

func (h *deliveryHook) ID() string { return "gridwatch-delivery" }

func (h *deliveryHook) Provides(b byte) bool {
	if h.to == nil {
		return false
	}
	switch b {
	case mqtt.OnQosPublish, mqtt.OnQosComplete, mqtt.OnQosDropped, mqtt.OnSessionEstablished, mqtt.OnSubscribed, mqtt.OnDisconnect:
		return true
	}
	return false
}

// staffOf is the staff id of a notify topic, or "".
func (h *deliveryHook) staffOf(topic string) string {
	rest, ok := strings.CutPrefix(topic, h.prefix)
	if !ok {
		return ""
	}
	id, ok := strings.CutSuffix(rest, "/notify")
	if !ok || id == "" || strings.ContainsAny(id, "/+#") {
		return ""
	}
	return id
}

// ownClient says whether cl subscribes to topic exactly (a staff phone,
// not a wildcard watcher).
func ownClient(cl *mqtt.Client, topic string) bool {
	_, ok := cl.State.Subscriptions.Get(topic)
	return ok
}

// OnQosPublish notes a page sent (or resent) to a staff client.
func (h *deliveryHook) OnQosPublish(cl *mqtt.Client, pk packets.Packet, _ int64, _ int) {
	if pk.FixedHeader.Type != packets.Publish {
		return
	}
	staff := h.staffOf(pk.TopicName)
	if staff == "" || !ownClient(cl, pk.TopicName) {
		return
	}
	var body struct {
		PageID string `json:"page_id"`
	}
	if json.Unmarshal(pk.Payload, &body) != nil || body.PageID == "" {
		return
	}
	h.mu.Lock()
	m := h.pending[cl.ID]
	if m == nil {
		m = make(map[uint16]sentPage)
		h.pending[cl.ID] = m
	}
	prev, had := m[pk.PacketID]
	m[pk.PacketID] = sentPage{staff: staff, page: body.PageID}
	h.mu.Unlock()
	if had && prev.page == body.PageID {
		return // a resend of what is already held
	}
	if had {
		h.to.PageDropped(prev.staff, prev.page)
	}
	h.to.PageSent(staff, body.PageID)
}

// OnQosComplete reports the client's PUBACK of a page.
func (h *deliveryHook) OnQosComplete(cl *mqtt.Client, pk packets.Packet) {
	if p, ok := h.take(cl.ID, pk.PacketID); ok {
		h.to.PageAcked(p.staff, p.page)
	}
}

// OnQosDropped reports a page the broker gave up.
func (h *deliveryHook) OnQosDropped(cl *mqtt.Client, pk packets.Packet) {
	if p, ok := h.take(cl.ID, pk.PacketID); ok {
		h.to.PageDropped(p.staff, p.page)
	}
}

// OnDisconnect forgets the pages of a client whose session ends with it
// (mochi drops its in-flight messages).
func (h *deliveryHook) OnDisconnect(cl *mqtt.Client, _ error, expire bool) {
	if !expire {
		return
	}
	h.mu.Lock()
	m := h.pending[cl.ID]
	delete(h.pending, cl.ID)
	h.mu.Unlock()
	for _, p := range m {
		h.to.PageDropped(p.staff, p.page)
	}
}

// OnSessionEstablished reports a staff client back online (its session's
// subscriptions say whose).
func (h *deliveryHook) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) {
	for filter := range cl.State.Subscriptions.GetAll() {
		if staff := h.staffOf(filter); staff != "" {
			h.to.StaffOnline(staff)
		}
	}
}

// OnSubscribed reports a staff client that subscribed to its notify topic.
func (h *deliveryHook) OnSubscribed(_ *mqtt.Client, pk packets.Packet, codes []byte) {
	for i, f := range pk.Filters {
		if i < len(codes) && codes[i] >= packets.ErrUnspecifiedError.Code {
			continue
		}
		if staff := h.staffOf(f.Filter); staff != "" {
			h.to.StaffOnline(staff)
		}
	}
}

func (h *deliveryHook) take(client string, id uint16) (sentPage, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.pending[client]
	p, ok := m[id]
	if ok {
		delete(m, id)
		if len(m) == 0 {
			delete(h.pending, client)
		}
	}
	return p, ok
}
