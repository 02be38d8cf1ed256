// Package broker runs gridwatch's embedded MQTT broker (mochi-mqtt). Every
// publish from a device or phone passes through the ingest handler before
// the broker acknowledges it, so a QoS 1 event is PUBACKed only once it is
// in the journal. Sessions, subscriptions, undelivered QoS 1 messages and
// retained messages are kept in a bbolt file across restarts.
package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/hooks/storage/bolt"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/bbolt"
)

// Handler takes each inbound publish. A non-nil error means the message was
// not stored and must not be acknowledged.
type Handler interface {
	Handle(ctx context.Context, topic string, payload []byte) error
}

// Config configures the embedded broker.
type Config struct {
	Listen         string // "127.0.0.1:1883"
	TLSListen      string // "" for none
	TLSCert        string
	TLSKey         string
	AllowAnonymous bool
	Users          map[string]string // username → password when anonymous is off
	// TopicRoot scopes what each user may touch when anonymous is off
	// (see acl.go).
	TopicRoot string
	// DataDir holds broker.db, the persistent session store. Empty: in memory.
	DataDir string
	Handler Handler
	Logger  *slog.Logger
	// Registerer takes the gridwatch_broker_* metrics. nil keeps them
	// unregistered.
	Registerer prometheus.Registerer
}

// Broker is the embedded MQTT broker.
type Broker struct {
	cfg    Config
	server *mqtt.Server
	ready  atomic.Bool
}

// New builds the broker; it opens nothing and listens on nothing yet.
func New(cfg Config) (*Broker, error) {
	if cfg.Handler == nil {
		return nil, errors.New("broker: Handler is required")
	}
	if cfg.Listen == "" {
		return nil, errors.New("broker: Listen is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	b := &Broker{cfg: cfg}
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(newCollector(b)); err != nil {
			return nil, fmt.Errorf("broker: metrics: %w", err)
		}
	}
	return b, nil
}

// Run opens the session store, listens, and serves until ctx is done. It
// returns once every listener and client is closed.
func (b *Broker) Run(ctx context.Context) error {
	srv := mqtt.New(&mqtt.Options{
		InlineClient: true,
		Logger:       slog.New(quietHandler{b.cfg.Logger.Handler()}),
	})
	if err := b.addAuth(srv); err != nil {
		return err
	}
	if b.cfg.DataDir != "" {
		if err := srv.AddHook(sessionStore{new(bolt.Hook)}, &bolt.Options{
			Path:    filepath.Join(b.cfg.DataDir, "broker.db"),
			Options: &bbolt.Options{Timeout: 2 * time.Second},
		}); err != nil {
			return fmt.Errorf("broker: open session store: %w", err)
		}
	}
	if err := srv.AddHook(&ingestHook{ctx: ctx, handler: b.cfg.Handler, log: b.cfg.Logger}, nil); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	if err := srv.AddHook(newDeliveryHook(b.cfg), nil); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	if err := srv.AddListener(listeners.NewTCP(listeners.Config{ID: "tcp", Address: b.cfg.Listen})); err != nil {
		return fmt.Errorf("broker: listen %s: %w", b.cfg.Listen, err)
	}
	if b.cfg.TLSListen != "" {
		cert, err := tls.LoadX509KeyPair(b.cfg.TLSCert, b.cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("broker: tls: %w", err)
		}
		tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if err := srv.AddListener(listeners.NewTCP(listeners.Config{ID: "tls", Address: b.cfg.TLSListen, TLSConfig: tc})); err != nil {
			return fmt.Errorf("broker: listen %s: %w", b.cfg.TLSListen, err)
		}
	}
	if err := srv.Serve(); err != nil {
		_ = srv.Close()
		return fmt.Errorf("broker: serve: %w", err)
	}
	b.server = srv
	b.ready.Store(true)
	b.cfg.Logger.Info("embedded MQTT broker listening", "addr", b.cfg.Listen, "tls", b.cfg.TLSListen, "persistent", b.cfg.DataDir != "")
	<-ctx.Done()
	b.ready.Store(false)
	return srv.Close()
}

func (b *Broker) addAuth(srv *mqtt.Server) error {
	if b.cfg.AllowAnonymous {
		return srv.AddHook(new(auth.AllowHook), nil)
	}
	return srv.AddHook(new(auth.Hook), &auth.Options{Ledger: ledger(b.cfg.Users, b.cfg.TopicRoot)})
}

// Ready reports whether the broker is serving.
func (b *Broker) Ready() error {
	if !b.ready.Load() {
		return errors.New("embedded broker not serving")
	}
	return nil
}

// serving returns the mochi server while it serves, else nil. server is
// set before ready turns true, so reading it after ready is race-free.
func (b *Broker) serving() *mqtt.Server {
	if !b.ready.Load() {
		return nil
	}
	return b.server
}

// Publish sends a message from the gateway itself. It never blocks on a
// slow subscriber: the broker queues per client.
func (b *Broker) Publish(topic string, payload []byte, qos byte, retain bool) error {
	if !b.ready.Load() {
		return errors.New("embedded broker not serving")
	}
	return b.server.Publish(topic, payload, retain, qos)
}

// Listening reports whether a connected client subscribes to exactly this
// topic: a staff phone on its own R/staff/{id}/notify. Wildcard watchers
// (a console on R/staff/+/notify) do not count, so they never hide a
// phone that is away. Before the broker serves it reports false.
func (b *Broker) Listening(topic string) bool {
	if !b.ready.Load() {
		return false
	}
	for id, sub := range b.server.Topics.Subscribers(topic).Subscriptions {
		if sub.Filter != topic {
			continue
		}
		if cl, ok := b.server.Clients.Get(id); ok && !cl.Closed() {
			return true
		}
	}
	return false
}
