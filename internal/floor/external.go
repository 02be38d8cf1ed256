package floor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// waitFor bounds every wait on the external broker.
const waitFor = 10 * time.Second

// runExternal subscribes to every device's events (QoS 1) on an external
// broker. paho runs each message's handler in its own goroutine
// (OrderMatters off) and acknowledges the message when the handler
// returns, so after the fsync; a press that could not be stored is
// acknowledged too (paho cannot refuse one) and logged.
func runExternal(ctx context.Context, cfg Config, h *handler, ready chan<- struct{}) error {
	var id [4]byte
	_, _ = rand.Read(id[:])
	o := paho.NewClientOptions().AddBroker(cfg.Broker).SetClientID("gridwatch-floor-" + hex.EncodeToString(id[:])).
		SetCleanSession(true).SetOrderMatters(false).SetConnectTimeout(waitFor).SetAutoReconnect(true)
	c := paho.NewClient(o)
	if err := wait(ctx, c.Connect()); err != nil {
		return fmt.Errorf("floor: connect %s: %w", cfg.Broker, err)
	}
	defer c.Disconnect(250)
	onEvent := func(_ paho.Client, m paho.Message) {
		topic, page, err := h.press(m.Topic(), m.Payload())
		if err != nil {
			cfg.Logger.Warn("floor relay: press not stored", "topic", m.Topic(), "err", err)
			return
		}
		if topic == "" {
			return
		}
		if err := wait(ctx, c.Publish(topic, 1, false, page)); err != nil && ctx.Err() == nil {
			cfg.Logger.Warn("floor relay: page not published", "topic", topic, "err", err)
		}
	}
	if err := wait(ctx, c.Subscribe(cfg.Topics.Root+"/dev/+/evt", 1, onEvent)); err != nil {
		return fmt.Errorf("floor: subscribe: %w", err)
	}
	cfg.Logger.Info("floor relay: subscribed", "broker", cfg.Broker)
	close(ready)
	<-ctx.Done()
	return nil
}

// wait waits for tok, at most waitFor or until ctx ends.
func wait(ctx context.Context, tok paho.Token) error {
	t := time.NewTimer(waitFor)
	defer t.Stop()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-t.C:
		return fmt.Errorf("no answer within %v", waitFor)
	case <-ctx.Done():
		return ctx.Err()
	}
}
