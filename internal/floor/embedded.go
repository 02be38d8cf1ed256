package floor

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// runEmbedded serves a mochi-mqtt broker with gridwatchd's embedded
// broker's options (inline client, default capabilities but the packet
// size bound) that lets everyone in, and relays presses from a publish
// hook: the PUBACK goes out after the hook, so after the fsync.
func runEmbedded(ctx context.Context, cfg Config, h *handler, ready chan<- struct{}) error {
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = DefaultMaxPacketSize
	srv := mqtt.New(&mqtt.Options{
		InlineClient: true,
		Capabilities: caps,
		Logger:       slog.New(slog.DiscardHandler),
	})
	hook := &pressHook{srv: srv, h: h, log: cfg.Logger}
	if err := srv.AddHook(hook, nil); err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	tcp := closeSafely{TCP: listeners.NewTCP(listeners.Config{ID: "floor", Address: cfg.Listen}), srv: srv}
	if err := srv.AddListener(tcp); err != nil {
		return fmt.Errorf("floor: listen %s: %w", cfg.Listen, err)
	}
	if err := srv.Serve(); err != nil {
		_ = srv.Close()
		return fmt.Errorf("floor: serve: %w", err)
	}
	cfg.Logger.Info("floor relay: embedded broker listening", "addr", cfg.Listen)
	close(ready)
	<-ctx.Done()
	return srv.Close()
}

// closeSafely is mochi's TCP listener, closing its clients without
// mochi's Clients.GetByListener, which takes the clients' read lock twice
// and so deadlocks Close when a client disconnects at that moment (as
// gateway/broker's listener does).
type closeSafely struct {
	*listeners.TCP
	srv *mqtt.Server
}

func (l closeSafely) Close(listeners.CloseFn) {
	l.TCP.Close(func(id string) {
		for _, cl := range l.srv.Clients.GetAll() {
			if cl.Net.Listener == id && !cl.Closed() {
				_ = l.srv.DisconnectClient(cl, packets.ErrServerShuttingDown)
			}
		}
	})
}

// pressHook relays presses before the broker acknowledges them.
type pressHook struct {
	mqtt.HookBase
	srv *mqtt.Server
	h   *handler
	log *slog.Logger
}

var _ mqtt.Hook = (*pressHook)(nil)

func (p *pressHook) ID() string { return "floor-press" }

func (p *pressHook) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck || b == mqtt.OnPublish
}

// OnConnectAuthenticate lets everyone in (the embedded broker with
// anonymous logins on, on loopback).
func (p *pressHook) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }

// OnACLCheck allows every topic.
func (p *pressHook) OnACLCheck(*mqtt.Client, string, bool) bool { return true }

// OnPublish journals a press and publishes its page. A journal error
// rejects the packet: no PUBACK, and the device sends it again.
func (p *pressHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline || !strings.HasSuffix(pk.TopicName, "/evt") {
		return pk, nil
	}
	topic, page, err := p.h.press(pk.TopicName, pk.Payload)
	if err != nil {
		p.log.Warn("floor relay: press not stored", "topic", pk.TopicName, "err", err)
		return pk, packets.ErrRejectPacket
	}
	if topic != "" {
		if err := p.srv.Publish(topic, page, false, 1); err != nil {
			p.log.Warn("floor relay: page not published", "topic", topic, "err", err)
		}
	}
	return pk, nil
}
