// Package broker runs gridwatch's embedded MQTT broker (mochi-mqtt). Every
// publish from a device or phone passes through the ingest handler before
// the broker acknowledges it, so a QoS 1 event is PUBACKed only once it is
// in the journal. Sessions, subscriptions, undelivered QoS 1 messages and
// retained messages are kept in a bbolt file across restarts, written
// behind the messages (sessionstore.go), never in their way.
package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/bbolt"

	"github.com/gridwatch/gridwatch/gateway/ratelog"
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
	// Users are the config file's MQTT users (username → credential) for
	// when anonymous is off.
	Users map[string]Credential
	// Credentials looks up the password hash of a user not in Users: the
	// registry's devices and staff, read at every login so a reload takes
	// effect at once. nil: none.
	Credentials func(user string) (hash string, ok bool)
	// TopicRoot scopes what each user may touch when anonymous is off
	// (see acl.go).
	TopicRoot string
	// MaxPacketSize is the largest MQTT packet taken from a client, in
	// bytes; a larger one closes the connection before it is read. 0 means
	// DefaultMaxPacketSize.
	MaxPacketSize int
	// ConnectTimeout is how long a new connection has to send its CONNECT;
	// 0 means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// MaxConnecting bounds the connections accepted that have not been
	// answered (logged in or refused) yet; 0 means DefaultMaxConnecting.
	MaxConnecting int
	// DataDir holds broker.db, the persistent session store. Empty: in memory.
	DataDir string
	Handler Handler
	Logger  *slog.Logger
	// Registerer takes the gridwatch_broker_* metrics. nil keeps them
	// unregistered.
	Registerer prometheus.Registerer
}

// Defaults of Config's bounds.
const (
	DefaultMaxPacketSize  = 64<<10 + 4<<10
	DefaultConnectTimeout = 10 * time.Second
	DefaultMaxConnecting  = 256
)

// writeTimeout is how long a write to a client may take before the client
// is dropped (see pendingConn.Write).
const writeTimeout = 15 * time.Second

// Broker is the embedded MQTT broker.
type Broker struct {
	cfg     Config
	server  *mqtt.Server
	ready   atomic.Bool
	metrics *metrics
	log     *ratelog.Limiter
	gate    *retainGate // see retaingate.go
	// writeTimeout is writeTimeout unless a test changes it before Run.
	writeTimeout time.Duration
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
	if cfg.MaxPacketSize == 0 {
		cfg.MaxPacketSize = DefaultMaxPacketSize
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.MaxConnecting == 0 {
		cfg.MaxConnecting = DefaultMaxConnecting
	}
	if cfg.MaxPacketSize < 0 || cfg.ConnectTimeout < 0 || cfg.MaxConnecting < 0 {
		return nil, errors.New("broker: MaxPacketSize, ConnectTimeout and MaxConnecting must not be negative")
	}
	for u, c := range cfg.Users {
		if !validUsername(u) {
			return nil, fmt.Errorf("broker: username %q: want 1-64 characters from A-Z a-z 0-9 . _ -", u)
		}
		if (c.Password == "") == (c.Hash == "") {
			return nil, fmt.Errorf("broker: user %s: give exactly one of a password and a hash", u)
		}
	}
	b := &Broker{cfg: cfg, log: ratelog.New(cfg.Logger, 10*time.Second, nil), metrics: newMetrics(), gate: newRetainGate(), writeTimeout: writeTimeout}
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(newCollector(b)); err != nil {
			return nil, fmt.Errorf("broker: metrics: %w", err)
		}
		if err := b.metrics.register(cfg.Registerer); err != nil {
			return nil, fmt.Errorf("broker: metrics: %w", err)
		}
	}
	return b, nil
}

// noForcedExpiry is the broker's longest message expiry in seconds: a
// hundred years, so no message expires for age alone. (Not 0: mochi then
// stamps a QoS 2 release with an expiry of now.)
const noForcedExpiry = 100 * 365 * 24 * 60 * 60

// Run opens the session store, listens, and serves until ctx is done. It
// returns once every listener and client is closed.
func (b *Broker) Run(ctx context.Context) error {
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = uint32(b.cfg.MaxPacketSize)
	// mochi's default deletes every retained message and every message in
	// flight once it is a day old. A retained message is true until it is
	// replaced or cleared (an alarm open for days keeps its place on the
	// board, a device its state), and a page in flight waits for its
	// phone (the page ledger decides when to fall back). A client's own
	// MQTT 5 message expiry still applies.
	caps.MaximumMessageExpiryInterval = noForcedExpiry
	srv := mqtt.New(&mqtt.Options{
		InlineClient: true,
		Capabilities: caps,
		Logger:       slog.New(quietHandler{b.cfg.Logger.Handler(), ratelog.New(b.cfg.Logger, 10*time.Second, nil)}),
	})
	if err := srv.AddHook(&gateFirst{g: b.gate}, nil); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	g := b.guard(srv)
	if err := srv.AddHook(g, nil); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	if b.cfg.DataDir != "" {
		path := filepath.Join(b.cfg.DataDir, "broker.db")
		if err := b.openStore(srv, path); err != nil {
			return err
		}
	}
	if err := srv.AddHook(&ingestHook{ctx: ctx, handler: b.cfg.Handler, log: b.log}, nil); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	if err := srv.AddHook(newDeliveryHook(b.cfg), nil); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	if err := srv.AddHook(&gateLast{g: b.gate}, nil); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	if err := srv.AddListener(b.listener(srv, "tcp", b.cfg.Listen, nil)); err != nil {
		return fmt.Errorf("broker: listen %s: %w", b.cfg.Listen, err)
	}
	if b.cfg.TLSListen != "" {
		cert, err := tls.LoadX509KeyPair(b.cfg.TLSCert, b.cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("broker: tls: %w", err)
		}
		tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if err := srv.AddListener(b.listener(srv, "tls", b.cfg.TLSListen, tc)); err != nil {
			return fmt.Errorf("broker: listen %s: %w", b.cfg.TLSListen, err)
		}
	}
	for _, u := range slices.Sorted(maps.Keys(b.cfg.Users)) {
		if b.cfg.Users[u].Password != "" && !b.cfg.AllowAnonymous {
			b.cfg.Logger.Warn("MQTT user has a plain-text password in the config: replace it with a password_hash (gridwatchd passwd)", "user", u)
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

func (b *Broker) guard(srv *mqtt.Server) *guard {
	return &guard{
		srv:       srv,
		anonymous: b.cfg.AllowAnonymous,
		acl:       acl{root: b.cfg.TopicRoot},
		users:     b.cfg.Users,
		lookup:    b.cfg.Credentials,
		verify:    newVerifier(min(5*time.Second, b.cfg.ConnectTimeout)),
		refused:   b.metrics.refuse,
		log:       b.log,
		pending:   map[string]claim{},
	}
}

func (b *Broker) listener(srv *mqtt.Server, id, addr string, tc *tls.Config) *listener {
	return &listener{
		id: id, addr: addr, tls: tc,
		closeClients:   func(id string) { disconnectListener(srv, id) },
		connectTimeout: b.cfg.ConnectTimeout,
		writeTimeout:   b.writeTimeout,
		pending:        make(chan struct{}, b.cfg.MaxConnecting),
		conns:          map[*pendingConn]struct{}{},
		refused:        b.metrics.refuse,
		log:            b.log,
		debug:          b.cfg.Logger,
	}
}

// openStore adds the bbolt session store at path, first setting a
// damaged file aside (see checkStore) so that it cannot crash-loop the
// daemon.
func (b *Broker) openStore(srv *mqtt.Server, path string) error {
	aside, err := checkStore(path, time.Now())
	if aside != "" {
		b.metrics.storeReset.Inc()
		b.cfg.Logger.Error("embedded broker session store is damaged: set aside, starting with an empty one. "+
			"Lost: persistent sessions (the subscriptions of clients that were away, and the QoS 1 messages queued for them: "+
			"phones get pages sent after they reconnect only), and retained messages (device state, the alarm board, until republished)",
			"file", path, "set_aside_as", aside, "damage", err)
	} else if err != nil {
		return err
	}
	store := newSessionStore(path, &bbolt.Options{Timeout: 2 * time.Second}, b.metrics.storeErrors.Inc)
	if err := srv.AddHook(store, nil); err != nil {
		return fmt.Errorf("broker: open session store: %w", err)
	}
	return nil
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

// Publish sends a message from the gateway itself. The broker queues per
// client; a QoS 1 message to a client whose writes are stuck waits for it
// (see pendingConn.Write). A retained message is written with the
// retained index to itself (see retainGate); any other goes straight
// through.
func (b *Broker) Publish(topic string, payload []byte, qos byte, retain bool) error {
	if !b.ready.Load() {
		return errors.New("embedded broker not serving")
	}
	if !retain {
		return b.server.Publish(topic, payload, retain, qos)
	}
	t := b.gate.holdInline()
	defer b.gate.releaseInline(t)
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

// Retained returns the topics of the retained messages on topics that
// match filter (MQTT wildcards allowed), in no set order; nil before the
// broker serves. The gateway clears its alarm board with it after a
// start: the board's retained messages are written behind (see
// sessionStore), so a crash may have kept a closed alarm's state.
func (b *Broker) Retained(filter string) []string {
	srv := b.serving()
	if srv == nil {
		return nil
	}
	b.gate.rw.RLock()
	defer b.gate.rw.RUnlock()
	var topics []string
	for _, pk := range srv.Topics.Messages(filter) {
		topics = append(topics, pk.TopicName)
	}
	return topics
}
