package device

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
)

// PressRequest is one event published on a device's behalf by a one-shot
// client (the device's own client id is left to the device, or to
// `gridsim run`, so the two never kick each other off).
type PressRequest struct {
	Dial   mqttconn.Dial
	Topics wire.Topics
	Device string
	Type   string         // default button.pressed
	Data   map[string]any // optional
	Now    time.Time      // ts of the event; zero is time.Now()
}

// Pressed is what the broker acknowledged.
type Pressed struct {
	Topic   string
	Msg     wire.EventMsg
	Elapsed time.Duration // publish → PUBACK
}

// Press connects, publishes one event at QoS 1 and waits (bounded) for its
// PUBACK. The seq is the event time in microseconds, so that two presses
// from the command line are never taken for duplicates of each other.
func Press(ctx context.Context, r PressRequest) (Pressed, error) {
	if r.Type == "" {
		r.Type = "button.pressed"
	}
	if r.Topics.Root == "" {
		r.Topics.Root = wire.DefaultRoot
	}
	if r.Now.IsZero() {
		r.Now = time.Now()
	}
	if err := checkEvent(r.Device, r.Type); err != nil {
		return Pressed{}, err
	}
	if err := r.Dial.Validate(); err != nil {
		return Pressed{}, err
	}
	r.Dial = r.Dial.As(r.Device) // with per-id logins, as the device itself
	c := paho.NewClient(r.Dial.Options(oneShotID("gridsim-press")).SetAutoReconnect(false))
	if err := r.Dial.Connect(ctx, c); err != nil {
		return Pressed{}, err
	}
	defer c.Disconnect(uint(mqttconn.DisconnectQuiesce / time.Millisecond))

	p := Pressed{
		Topic: r.Topics.Event(r.Device),
		Msg:   wire.EventMsg{Type: r.Type, TS: r.Now.UnixMilli(), Seq: r.Now.UnixMicro(), Data: r.Data},
	}
	start := time.Now()
	if err := publishEvent(ctx, r.Dial, c, p.Topic, p.Msg); err != nil {
		return Pressed{}, err
	}
	p.Elapsed = time.Since(start)
	return p, nil
}

// checkEvent rejects what the gateway would reject anyway, with a clearer
// message, before anything goes on the wire.
func checkEvent(dev, typ string) error {
	if !wire.ValidID(dev) {
		return fmt.Errorf("device id %q must match [A-Za-z0-9._-]{1,64}", dev)
	}
	if !wire.ValidType(typ) {
		return fmt.Errorf("event type %q must be dotted lower case, like button.pressed", typ)
	}
	return nil
}

func publishEvent(ctx context.Context, dial mqttconn.Dial, c paho.Client, topic string, msg wire.EventMsg) error {
	if msg.Type == "" {
		return errors.New("event without type")
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encode event %s: %w", msg.Type, err)
	}
	return dial.Publish(ctx, c, topic, 1, false, b)
}

// oneShotID is a client id that no device or phone uses.
func oneShotID(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}
