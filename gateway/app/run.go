package app

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/gridwatch/gridwatch/gateway/broker"
	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/httpapi"
	"github.com/gridwatch/gridwatch/gateway/ingest"
	"github.com/gridwatch/gridwatch/gateway/journal"
	"github.com/gridwatch/gridwatch/gateway/mqttlink"
	"github.com/gridwatch/gridwatch/gateway/telemetry"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/gridwatch/gridwatch/rules/engine"
	"github.com/gridwatch/gridwatch/rules/escalate"
)

// transport is an MQTT side of the gateway: the embedded broker or the
// link to an external one.
type transport interface {
	publisher
	Run(ctx context.Context) error
	Ready() error
}

// handlerFunc adapts a function to the transports' Handler interfaces.
type handlerFunc func(ctx context.Context, topic string, payload []byte) error

func (f handlerFunc) Handle(ctx context.Context, topic string, payload []byte) error {
	return f(ctx, topic, payload)
}

// Run starts the gateway and serves until ctx is done. Shutdown drains in
// order: inputs stop first (no new events), then the desk persists its
// state, then the journal and stores close.
func (a *App) Run(ctx context.Context) error {
	defer a.markStarted()
	cfg := a.cfg
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return a.errf("data directory: %w", err)
	}
	store, err := alarm.OpenStore(filepath.Join(cfg.DataDir, "alarms.db"))
	if err != nil {
		return a.errf("alarm store: %w", err)
	}
	defer store.Close()
	eng, err := engine.New(engine.Builtin())
	if err != nil {
		return a.errf("rules: %w", err)
	}

	var (
		ing     *ingest.Ingestor
		httpSrv *httpapi.Server
	)
	tr, err := a.newTransport(handlerFunc(func(ctx context.Context, topic string, payload []byte) error {
		return ing.Handle(ctx, topic, payload)
	}))
	if err != nil {
		return err
	}
	desk, err := escalate.New(escalate.Config{
		Policies: cfg.Escalation,
		Registry: a.reg.Get,
		Notifier: notifier{pub: tr, topics: a.topics},
		Board: board{pub: tr, topics: a.topics, live: func(al alarm.Alarm) { httpSrv.PublishAlarm(al) },
			onErr: func(err error) { a.log.Warn("alarm board", "err", err) }},
		Store:      store,
		Logger:     a.log.With("component", "escalate"),
		Registerer: a.metrics,
	})
	if err != nil {
		return a.errf("escalation: %w", err)
	}
	tracker := devices.New(a.reg.Get, func(st devices.Status) { httpSrv.PublishDevice(st) })

	coreCtx, stopCore := context.WithCancel(context.WithoutCancel(ctx))
	defer stopCore()
	core, coreCtx := errgroup.WithContext(coreCtx)

	pipe := &pipeline{ctx: coreCtx, reg: a.reg.Get, engine: eng, desk: desk}
	jnl, err := journal.Open(filepath.Join(cfg.DataDir, "journal"), journal.Options{
		Logger:     a.log.With("component", "journal"),
		Registerer: a.metrics,
		OnDurable:  pipe.feed,
	})
	if err != nil {
		return a.errf("journal: %w", err)
	}
	defer jnl.Close()

	core.Go(func() error { return desk.Run(coreCtx) })
	if err := a.replay(coreCtx, desk, jnl, pipe); err != nil {
		stopCore()
		_ = core.Wait()
		return err
	}

	var tel ingest.TelemetrySink
	if cfg.Influx.URL != "" {
		w, err := telemetry.New(telemetry.Config{
			URL: cfg.Influx.URL, Token: cfg.Influx.Token, Org: cfg.Influx.Org, Bucket: cfg.Influx.Bucket,
			Site: cfg.Site, Logger: a.log.With("component", "telemetry"), Registerer: a.metrics,
		})
		if err != nil {
			return a.errf("telemetry: %w", err)
		}
		core.Go(func() error { return w.Run(coreCtx) })
		tel = w
	}

	ing, err = ingest.New(ingest.Config{
		Topics: a.topics, Registry: a.reg.Get, Journal: jnl, Devices: tracker, Telemetry: tel,
		Replies: replies{desk: desk}, Transport: a.transportName(),
		MaxPayload: cfg.Ingest.MaxPayload, DeviceRate: cfg.Ingest.DeviceRate, DeviceBurst: cfg.Ingest.DeviceBurst,
		DedupeWindow: cfg.Ingest.DedupeWindow, Logger: a.log.With("component", "ingest"), Registerer: a.metrics,
	})
	if err != nil {
		return a.errf("ingest: %w", err)
	}

	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return a.errf("http listen: %w", err)
	}
	httpSrv, err = httpapi.New(httpapi.Config{
		Auth: cfg.AuthEnabled(), Tokens: cfg.HTTP.Tokens, Loopback: isLoopback(ln.Addr()),
		Alarms: consoleDesk{desk: desk, trustConsole: !cfg.AuthEnabled()}, Devices: tracker, Metrics: a.metricsHandler(),
		ErrorStatus: httpapi.ErrorStatuses(map[error]int{
			escalate.ErrNotFound: http.StatusNotFound, escalate.ErrForbidden: http.StatusForbidden,
			escalate.ErrStopped: http.StatusServiceUnavailable, escalate.ErrNotReady: http.StatusServiceUnavailable,
		}),
		Ready:  func() error { return errors.Join(tr.Ready(), jnl.Err(), deskRunning(desk)) },
		Logger: a.log.With("component", "http"), Registerer: a.metrics,
	})
	if err != nil {
		ln.Close()
		return a.errf("http: %w", err)
	}

	core.Go(func() error { return sweep(coreCtx, tracker) })

	inputs, inCtx := errgroup.WithContext(ctx)
	inputs.Go(func() error { return tr.Run(inCtx) })
	inputs.Go(func() error { return httpSrv.Serve(inCtx, ln) })
	a.mu.Lock()
	a.httpAddr = ln.Addr()
	a.mu.Unlock()
	a.markStarted()
	a.log.Info("gridwatch serving", "site", cfg.Site, "http", ln.Addr().String(), "mqtt", a.transportName(),
		"devices", len(a.reg.Get().Devices()), "last_event", jnl.LastID())

	inErr := inputs.Wait() // returns once ctx is done (or an input failed)
	stopCore()
	coreErr := core.Wait()
	if inErr != nil && !errors.Is(inErr, context.Canceled) {
		return inErr
	}
	if coreErr != nil && !errors.Is(coreErr, context.Canceled) {
		return coreErr
	}
	a.log.Info("gridwatch stopped")
	return nil
}

// replay feeds the rules every journaled event the desk had not applied
// when the gateway stopped, before any new input is taken.
func (a *App) replay(ctx context.Context, desk *escalate.Desk, jnl *journal.Journal, pipe *pipeline) error {
	after, err := desk.WaitLoaded(ctx)
	if err != nil {
		return a.errf("escalation desk: %w", err)
	}
	n := 0
	err = jnl.Replay(after, func(ev event.Event) error {
		n++
		return pipe.apply(ev)
	})
	if err != nil {
		return a.errf("journal replay: %w", err)
	}
	if n > 0 {
		a.log.Info("replayed journal", "after", after, "events", n)
	}
	return nil
}

func (a *App) newTransport(h handlerFunc) (transport, error) {
	cfg := a.cfg
	if cfg.MQTT.URL != "" {
		l, err := mqttlink.New(mqttlink.Config{
			URL: cfg.MQTT.URL, ClientID: cfg.MQTT.ClientID, Username: cfg.MQTT.Username, Password: cfg.MQTT.Password,
			Topics: a.topics, Handler: h, DataDir: cfg.DataDir,
			Logger: a.log.With("component", "mqtt"), Registerer: a.metrics,
		})
		if err != nil {
			return nil, a.errf("mqtt: %w", err)
		}
		return l, nil
	}
	e := cfg.MQTT.Embedded
	b, err := broker.New(broker.Config{
		Listen: e.Listen, TLSListen: e.TLS.Listen, TLSCert: e.TLS.Cert, TLSKey: e.TLS.Key,
		AllowAnonymous: cfg.AnonymousAllowed(), Users: e.Users, DataDir: cfg.DataDir, Handler: h,
		Logger: a.log.With("component", "broker"),
	})
	if err != nil {
		return nil, a.errf("broker: %w", err)
	}
	return b, nil
}

func (a *App) transportName() string {
	if a.cfg.MQTT.URL != "" {
		return "external"
	}
	return "embedded"
}

func (a *App) markStarted() {
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case <-a.started:
	default:
		close(a.started)
	}
}

func isLoopback(addr net.Addr) bool {
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// sweep marks devices offline in the device list once they have been
// silent for 1.5 heartbeats. (Offline alarms are the rule engine's job.)
func sweep(ctx context.Context, tracker *devices.Tracker) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-tick.C:
			tracker.Sweep(now.UnixMilli())
		}
	}
}
