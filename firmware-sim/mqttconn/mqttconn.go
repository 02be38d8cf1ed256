// Package mqttconn builds the paho MQTT clients every simulated part of
// firmware-sim uses, and bounds every wait on them: connecting, publishing,
// subscribing and disconnecting all give up after a deadline or when their
// context ends, so no simulator goroutine can hang on a silent broker.
package mqttconn

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Default bounds on the waits of a client.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultAckTimeout     = 5 * time.Second
	// DisconnectQuiesce is how long Disconnect lets in-flight work finish.
	DisconnectQuiesce = 250 * time.Millisecond
)

// Dial says where the broker is and how to log in. The zero timeouts take
// the defaults above.
type Dial struct {
	Broker   string // tcp://host:port, ssl://host:port, ws://...
	Username string
	Password string
	// PerID makes each client log in as the id it acts for (As): the
	// username is the device or staff id, the password Passwords[id], or
	// Password for ids not in Passwords. A broker with per-id ACLs, such as
	// gridwatchd's embedded one with anonymous logins off, wants this.
	PerID          bool
	Passwords      map[string]string
	ConnectTimeout time.Duration
	AckTimeout     time.Duration
}

// Validate reports what is wrong with the broker address.
func (d Dial) Validate() error {
	if d.Broker == "" {
		return errors.New("broker address is empty")
	}
	u, err := url.Parse(d.Broker)
	if err != nil {
		return fmt.Errorf("broker %q: want a URL with a scheme, like tcp://127.0.0.1:1883", d.Broker)
	}
	switch u.Scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss":
	default:
		return fmt.Errorf("broker %q: scheme must be tcp, ssl, ws or wss, like tcp://127.0.0.1:1883", d.Broker)
	}
	if u.Host == "" {
		return fmt.Errorf("broker %q: no host:port", d.Broker)
	}
	return nil
}

func (d Dial) connectTimeout() time.Duration {
	if d.ConnectTimeout > 0 {
		return d.ConnectTimeout
	}
	return DefaultConnectTimeout
}

// Ack is the bound on waiting for one acknowledgement (PUBACK, SUBACK).
func (d Dial) Ack() time.Duration {
	if d.AckTimeout > 0 {
		return d.AckTimeout
	}
	return DefaultAckTimeout
}

// As is the dial of a client acting as id (a device or staff id): with
// PerID it logs in as id, otherwise d is returned unchanged.
func (d Dial) As(id string) Dial {
	if !d.PerID {
		return d
	}
	d.Username = id
	if pw, ok := d.Passwords[id]; ok {
		d.Password = pw
	}
	return d
}

// Options returns client options for clientID: auto-reconnect on, bounded
// connect and write timeouts, and OrderMatters off so that a handler can
// never stall the client's own network goroutine. Callers add their will,
// session mode, handlers and OnConnect.
func (d Dial) Options(clientID string) *paho.ClientOptions {
	o := paho.NewClientOptions().
		AddBroker(d.Broker).
		SetClientID(clientID).
		SetConnectTimeout(d.connectTimeout()).
		SetWriteTimeout(d.Ack()).
		SetKeepAlive(30 * time.Second).
		SetPingTimeout(10 * time.Second).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(5 * time.Second).
		SetOrderMatters(false)
	if d.Username != "" {
		o.SetUsername(d.Username)
		o.SetPassword(d.Password)
	}
	return o
}

// Wait waits for tok to complete, for at most timeout or until ctx ends,
// and returns its error. what names the operation in the error.
func Wait(ctx context.Context, tok paho.Token, timeout time.Duration, what string) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	case <-t.C:
		return fmt.Errorf("%s: no answer from the broker within %v", what, timeout)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
}

// Connect connects c, bounded by the dial's connect timeout and ctx.
func (d Dial) Connect(ctx context.Context, c paho.Client) error {
	err := Wait(ctx, c.Connect(), d.connectTimeout()+time.Second, "connect to "+d.Broker)
	if err != nil {
		c.Disconnect(0) // stop any retry paho may have started
	}
	return err
}

// Publish publishes one message and, for QoS 1 and 2, waits for the
// broker's acknowledgement, bounded by the dial's ack timeout and ctx.
func (d Dial) Publish(ctx context.Context, c paho.Client, topic string, qos byte, retained bool, payload []byte) error {
	return Wait(ctx, c.Publish(topic, qos, retained, payload), d.Ack(), "publish to "+topic)
}

// Subscribe subscribes c to one filter with a handler and waits (bounded)
// for the SUBACK. A refused subscription is an error.
func (d Dial) Subscribe(ctx context.Context, c paho.Client, filter string, qos byte, h paho.MessageHandler) error {
	tok := c.Subscribe(filter, qos, h)
	if err := Wait(ctx, tok, d.Ack(), "subscribe to "+filter); err != nil {
		return err
	}
	if st, ok := tok.(*paho.SubscribeToken); ok {
		for f, code := range st.Result() {
			if code == 0x80 {
				return fmt.Errorf("subscribe to %s: refused by the broker", f)
			}
		}
	}
	return nil
}
