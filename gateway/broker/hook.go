package broker

import (
	"bytes"
	"context"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/gridwatch/gridwatch/gateway/ratelog"
)

// ingestHook hands every client publish to the ingest handler before the
// broker acknowledges it. mochi calls OnPublish on the client's own read
// goroutine, so a slow or flooding device only ever holds up itself.
type ingestHook struct {
	mqtt.HookBase
	ctx     context.Context
	handler Handler
	log     *ratelog.Limiter
}

var _ mqtt.Hook = (*ingestHook)(nil)

func (h *ingestHook) ID() string { return "gridwatch-ingest" }

func (h *ingestHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnPublish, mqtt.OnWillSent}, []byte{b})
}

// OnPublish runs before PUBACK. A handler error (the event could not be
// journaled) rejects the packet: no PUBACK, no forwarding, and the device
// sends it again.
func (h *ingestHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil // the gateway's own publications
	}
	if err := h.handler.Handle(h.ctx, pk.TopicName, pk.Payload); err != nil {
		h.log.Warn("not-acked/"+cl.ID, "publish not acknowledged", "client", cl.ID, "topic", clip(pk.TopicName), "err", clip(err.Error()))
		return pk, packets.ErrRejectPacket
	}
	return pk, nil
}

// OnWillSent passes a device's last will (its "offline" state) to ingest.
// A will the guard dropped has no topic and goes nowhere.
func (h *ingestHook) OnWillSent(cl *mqtt.Client, pk packets.Packet) {
	if pk.TopicName == "" {
		return
	}
	if err := h.handler.Handle(h.ctx, pk.TopicName, pk.Payload); err != nil {
		h.log.Warn("will/"+cl.ID, "will not handled", "client", cl.ID, "topic", clip(pk.TopicName), "err", clip(err.Error()))
	}
}
