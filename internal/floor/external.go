package floor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync/atomic"
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
//
// It also takes every device's telemetry (QoS 0) on a second connection,
// as gridwatchd does, and drops it (counting it in tel): a gateway must
// take the site's telemetry, and delivering it is work the broker does on
// the same thread as the presses and pages. Without it, a single-threaded
// broker such as Mosquitto would do half the work for the floor that it
// does for gridwatchd.
func runExternal(ctx context.Context, cfg Config, h *handler, tel *atomic.Int64, ready chan<- struct{}) error {
	var id [4]byte
	_, _ = rand.Read(id[:])
	name := "gridwatch-floor-" + hex.EncodeToString(id[:])
	options := func(clientID string) *paho.ClientOptions {
		return paho.NewClientOptions().AddBroker(cfg.Broker).SetClientID(clientID).
			SetCleanSession(true).SetConnectTimeout(waitFor).SetAutoReconnect(true)
	}
	c := paho.NewClient(options(name).SetOrderMatters(false))
	if err := wait(ctx, c.Connect()); err != nil {
		return fmt.Errorf("floor: connect %s: %w", cfg.Broker, err)
	}
	defer c.Disconnect(250)
	tc := paho.NewClient(options(name + "-tel").SetOrderMatters(true))
	if err := wait(ctx, tc.Connect()); err != nil {
		return fmt.Errorf("floor: connect %s for telemetry: %w", cfg.Broker, err)
	}
	defer tc.Disconnect(250)
	if err := wait(ctx, tc.Subscribe(cfg.Topics.TelemetryFilter(), 0, func(paho.Client, paho.Message) { tel.Add(1) })); err != nil {
		return fmt.Errorf("floor: subscribe to telemetry: %w", err)
	}
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
