// Package mqttlink connects the gateway to an external MQTT broker
// (Mosquitto, EMQX...) with paho, over two connections. The event
// connection carries device events, presence, command acks, staff replies
// and everything the gateway publishes; its session is persistent (clean
// session off, a stable client id, a file store for unsent QoS 1
// messages), and an inbound QoS 1 message is acknowledged only after
// ingest has made it durable. Telemetry arrives on a second connection
// (client id + "-tel", QoS 0), so it can never queue in front of a panic
// press — not in the broker's outbound queue, not in the TCP stream, not
// in our worker lanes. Staff replies have lanes of their own too: an
// action is handed over only once it is stored, and a press never waits
// behind it. paho's own goroutines never wait on us for long: messages
// are handed to worker queues.
package mqttlink

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/ratelog"
)

// Handler takes each inbound message; an error means "not stored, do not
// acknowledge".
type Handler interface {
	Handle(ctx context.Context, topic string, payload []byte) error
}

// Config configures the link.
type Config struct {
	URL      string
	ClientID string
	Username string
	Password string
	Topics   wire.Topics
	Handler  Handler
	// DataDir holds the paho file store for unsent QoS 1 messages.
	DataDir string
	// EventWorkers is the number of ordered event lanes (by device), and
	// of the lanes of staff replies (by staff member).
	EventWorkers int
	QueueDepth   int
	Logger       *slog.Logger
	Registerer   prometheus.Registerer
}

// Link is a persistent connection to an external broker.
type Link struct {
	cfg       Config
	log       *ratelog.Limiter
	client    paho.Client // events, presence, replies; all publishing
	telClient paho.Client // telemetry only
	connected atomic.Bool
	everUp    atomic.Bool // the event connection has been up at least once

	eventQ  []chan paho.Message
	replyQ  []chan paho.Message // staff replies: never in front of a device's event
	telQ    chan paho.Message
	pending chan pendingPublish

	dropped    prometheus.Counter
	pubFailed  prometheus.Counter
	connState  prometheus.Gauge
	reconnects prometheus.Counter
}

type pendingPublish struct {
	tok   paho.Token
	topic string
}

// New checks cfg; it connects to nothing yet.
func New(cfg Config) (*Link, error) {
	if cfg.URL == "" || cfg.ClientID == "" || cfg.Handler == nil {
		return nil, errors.New("mqttlink: URL, ClientID and Handler are required")
	}
	if cfg.Topics.Root == "" {
		cfg.Topics.Root = wire.DefaultRoot
	}
	if cfg.EventWorkers <= 0 {
		cfg.EventWorkers = 8
	}
	if cfg.QueueDepth <= 0 {
		cfg.QueueDepth = 4096
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	l := &Link{
		cfg:     cfg,
		log:     ratelog.New(cfg.Logger, 10*time.Second, nil),
		eventQ:  make([]chan paho.Message, cfg.EventWorkers),
		replyQ:  make([]chan paho.Message, cfg.EventWorkers),
		telQ:    make(chan paho.Message, cfg.QueueDepth),
		pending: make(chan pendingPublish, cfg.QueueDepth),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_mqtt_telemetry_dropped_total",
			Help: "Telemetry messages dropped because the telemetry lane was full.",
		}),
		pubFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_mqtt_publish_failed_total",
			Help: "Publishes to the external broker that failed or timed out.",
		}),
		connState: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwatch_mqtt_connected",
			Help: "1 while the link to the external broker is up.",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_mqtt_reconnects_total",
			Help: "Times the link to the external broker came back up after it was lost.",
		}),
	}
	for i := range l.eventQ {
		l.eventQ[i] = make(chan paho.Message, cfg.QueueDepth)
		l.replyQ[i] = make(chan paho.Message, cfg.QueueDepth)
	}
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{l.dropped, l.pubFailed, l.connState, l.reconnects} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return l, nil
}

// Run connects (retrying until ctx is done), serves, and on ctx done
// disconnects and waits for its workers.
func (l *Link) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, q := range append(slices.Clone(l.eventQ), l.replyQ...) {
		wg.Go(func() { l.work(ctx, q) })
	}
	wg.Go(func() { l.work(ctx, l.telQ) })
	wg.Go(func() { l.watchPublishes(ctx) })

	opts := l.options(l.cfg.ClientID, false).
		SetAutoAckDisabled(true).
		SetDefaultPublishHandler(l.route).
		SetOnConnectHandler(l.onConnect).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			l.connected.Store(false)
			l.connState.Set(0)
			l.cfg.Logger.Warn("external broker connection lost", "url", l.cfg.URL, "err", err)
		})
	if l.cfg.DataDir != "" {
		opts.SetStore(newOutboundStore(paho.NewFileStore(filepath.Join(l.cfg.DataDir, "mqtt-store")), l.isPage))
	}
	l.client = paho.NewClient(opts)
	l.telClient = paho.NewClient(l.options(l.cfg.ClientID+"-tel", true).
		SetOnConnectHandler(l.onTelemetryConnect).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			l.cfg.Logger.Warn("external broker telemetry connection lost", "url", l.cfg.URL, "err", err)
		}))
	// With ConnectRetry both keep trying in the background until ctx ends.
	for _, c := range []paho.Client{l.client, l.telClient} {
		tok := c.Connect()
		select {
		case <-tok.Done():
			if err := tok.Error(); err != nil {
				l.cfg.Logger.Error("external broker connect failed", "url", l.cfg.URL, "err", err)
			}
		case <-ctx.Done():
		}
	}
	<-ctx.Done()
	l.telClient.Disconnect(250)
	l.client.Disconnect(500)
	l.connected.Store(false)
	l.connState.Set(0)
	wg.Wait()
	return nil
}

// options are the settings both connections share.
func (l *Link) options(clientID string, clean bool) *paho.ClientOptions {
	return paho.NewClientOptions().
		AddBroker(l.cfg.URL).
		SetClientID(clientID).
		SetUsername(l.cfg.Username).
		SetPassword(l.cfg.Password).
		SetCleanSession(clean).
		SetOrderMatters(true). // our handlers only enqueue
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(2 * time.Second).
		SetMaxReconnectInterval(10 * time.Second).
		SetConnectTimeout(10 * time.Second).
		SetWriteTimeout(10 * time.Second).
		SetKeepAlive(15 * time.Second).
		SetPingTimeout(5 * time.Second)
}

// onTelemetryConnect subscribes the telemetry connection.
func (l *Link) onTelemetryConnect(c paho.Client) {
	tok := c.Subscribe(l.cfg.Topics.TelemetryFilter(), 0, l.route)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		l.cfg.Logger.Error("telemetry subscribe failed", "url", l.cfg.URL, "err", tok.Error())
	}
}

func (l *Link) onConnect(c paho.Client) {
	// A session from before the split may still hold the telemetry
	// subscription; drop it so telemetry comes on its own connection only.
	if tok := c.Unsubscribe(l.cfg.Topics.TelemetryFilter()); !tok.WaitTimeout(10 * time.Second) {
		l.cfg.Logger.Warn("unsubscribe of telemetry on the event connection timed out", "url", l.cfg.URL)
	}
	filters := make(map[string]byte)
	for _, f := range l.cfg.Topics.EventFilters() {
		filters[f] = 1
	}
	tok := c.SubscribeMultiple(filters, l.route)
	if !tok.WaitTimeout(10 * time.Second) {
		l.cfg.Logger.Error("subscribe timed out; reconnecting", "url", l.cfg.URL)
		return
	}
	if err := tok.Error(); err != nil {
		l.cfg.Logger.Error("subscribe failed", "url", l.cfg.URL, "err", err)
		return
	}
	l.connected.Store(true)
	l.connState.Set(1)
	if l.everUp.Swap(true) {
		l.reconnects.Inc()
	}
	l.cfg.Logger.Info("connected to external broker", "url", l.cfg.URL, "client_id", l.cfg.ClientID)
}

// route runs on paho's goroutine: it only puts the message on its lane.
func (l *Link) route(_ paho.Client, m paho.Message) {
	kind, id := l.cfg.Topics.Parse(m.Topic())
	if kind == wire.KindTelemetry {
		select {
		case l.telQ <- m:
		default:
			l.dropped.Inc()
			l.log.Warn("telq", "telemetry lane full; message dropped")
			m.Ack()
		}
		return
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	// Staff replies have lanes of their own: an action is handed over only
	// once the alarm store has it (a commit or two), and a press in the same
	// lane would wait behind it.
	lanes := l.eventQ
	if kind == wire.KindReply {
		lanes = l.replyQ
	}
	// Events wait for room rather than being dropped: they are QoS 1 and
	// must be journaled before they are acknowledged.
	lanes[h.Sum32()%uint32(len(lanes))] <- m
}

func (l *Link) work(ctx context.Context, q chan paho.Message) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-q:
			if err := l.cfg.Handler.Handle(ctx, m.Topic(), m.Payload()); err != nil {
				// Not acknowledged: the broker redelivers it on reconnect.
				l.log.Warn("nack", "message not stored; left unacknowledged", "topic", m.Topic(), "err", err)
				continue
			}
			m.Ack()
		}
	}
}

// Publish sends a message. It does not wait for the broker; failures are
// counted and logged by the publish watcher.
func (l *Link) Publish(topic string, payload []byte, qos byte, retain bool) error {
	if l.client == nil {
		return errors.New("mqttlink: not running")
	}
	tok := l.client.Publish(topic, qos, retain, payload)
	select {
	case l.pending <- pendingPublish{tok: tok, topic: topic}:
		return nil
	default:
		l.pubFailed.Inc()
		return fmt.Errorf("mqttlink: %d publishes outstanding; %s not tracked", cap(l.pending), topic)
	}
}

func (l *Link) watchPublishes(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-l.pending:
			if !p.tok.WaitTimeout(30 * time.Second) {
				l.pubFailed.Inc()
				l.log.Warn("pub-timeout", "publish not confirmed in 30s", "topic", p.topic)
			} else if err := p.tok.Error(); err != nil {
				l.pubFailed.Inc()
				l.log.Warn("pub-err", "publish failed", "topic", p.topic, "err", err)
			}
		}
	}
}

// isPage says whether topic is a staff member's notify topic (a page).
func (l *Link) isPage(topic string) bool {
	kind, staff := l.cfg.Topics.Parse(topic)
	return kind == wire.KindOutbound && topic == l.cfg.Topics.Notify(staff)
}

// Ready reports whether the link is connected and subscribed.
func (l *Link) Ready() error {
	if !l.connected.Load() {
		return fmt.Errorf("not connected to external broker %s", l.cfg.URL)
	}
	return nil
}
