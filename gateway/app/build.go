package app

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"

	"github.com/gridwatch/gridwatch/gateway/broadcast"
	"github.com/gridwatch/gridwatch/gateway/broker"
	"github.com/gridwatch/gridwatch/gateway/clips"
	"github.com/gridwatch/gridwatch/gateway/clock"
	"github.com/gridwatch/gridwatch/gateway/command"
	"github.com/gridwatch/gridwatch/gateway/commission"
	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/gateway/deliver"
	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/gateway/edge"
	"github.com/gridwatch/gridwatch/gateway/httpapi"
	"github.com/gridwatch/gridwatch/gateway/ingest"
	"github.com/gridwatch/gridwatch/gateway/journal"
	"github.com/gridwatch/gridwatch/gateway/mqttlink"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/gateway/telemetry"
	"github.com/gridwatch/gridwatch/gateway/thresholds"
	"github.com/gridwatch/gridwatch/gateway/uplink"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/gridwatch/gridwatch/rules/engine"
	"github.com/gridwatch/gridwatch/rules/escalate"
	"github.com/gridwatch/gridwatch/rules/runner"
)

// transport is an MQTT side of the gateway: the embedded broker or the
// link to an external one.
type transport interface {
	publisher
	Run(ctx context.Context) error
	Ready() error
}

// parts are the gateway's pieces, built and wired but not running.
type parts struct {
	clock     *clock.Clock
	store     *alarm.Store
	journal   *journal.Journal
	transport transport
	desk      *escalate.Desk
	rules     *runner.Runner
	tracker   *devices.Tracker
	ingest    *ingest.Ingestor
	telemetry *telemetry.Writer // nil without influx.url
	pages     *deliver.Ledger   // every page until the person's client confirmed it
	webhook   *deliver.Outbox   // nil without webhook.url
	sms       *deliver.Outbox   // nil without sms.url
	commands  *command.Dispatcher
	routes    *commandRouter   // rule commands: serial buses or MQTT
	drivers   *edge.Supervisor // serial buses and cameras, each through ingest's edge
	broadcast *broadcast.Service
	clips     *clips.Service // alarms' evidence clips
	http      *httpapi.Server
	listener  net.Listener

	// thresholds turn telemetry (mains false, a low battery) into events.
	thresholds *thresholds.Monitor
	commission *commission.Service // installers' walk tests
	uplink     *uplink.Uplink      // nil without uplink.url

	closers []func() error
}

// close releases what build opened, last opened first.
func (p *parts) close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		_ = p.closers[i]()
	}
}

// build opens the stores and constructs every part, wiring each to the
// ones it talks to. Nothing runs yet. On error it closes what it opened.
//
// Parts are built along the alarm path from where it leaves the gateway
// (the MQTT transport pages go out through, the page ledger) back to where
// events enter (ingest, the HTTP API): each part is given only parts built
// before it. The few answers that flow the other way go through backEdges,
// built first, whose receivers are set as they are built.
func (a *App) build() (_ *parts, err error) {
	cfg := a.cfg
	p := &parts{}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, a.errf("data directory: %w", err)
	}
	if p.clock, err = clock.Start(clock.Config{AnchorPath: filepath.Join(cfg.DataDir, "clock.json"), Wall: a.wall,
		Logger: a.log.With("component", "clock"), Registerer: a.metrics}); err != nil {
		return nil, a.errf("%w", err)
	}
	now := p.clock.Now
	if p.store, err = a.openAlarmStore(); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.store.Close)
	a.openSilences(p.store, now)
	if p.commission, err = a.openCommission(p, now); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.commission.Close)
	eng, err := engine.Compile(a.engineConfig(a.rules))
	if err != nil {
		return nil, a.errf("rules: %w", err)
	}
	back := &backEdges{onHistoryErr: func(al alarm.Alarm, err error) {
		a.log.Warn("alarm transition not written to history", "alarm", al.ID, "err", err)
	}}

	// Out: the transport, the page ledger and its channels, device commands.
	if p.transport, err = a.newTransport(back); err != nil {
		return nil, err
	}
	if p.pages, err = a.pages(p, back); err != nil {
		return nil, err
	}
	back.pages = p.pages
	if p.commands, err = command.New(command.Config{Publisher: p.transport, Topics: a.topics, Now: now,
		OnResult: back.CommandResult, Logger: a.log.With("component", "command"), Registerer: a.metrics}); err != nil {
		return nil, a.errf("commands: %w", err)
	}
	if p.broadcast, err = broadcast.Open(broadcast.Config{Path: filepath.Join(cfg.DataDir, "broadcasts.db"),
		Registry: a.reg.Get, Notifier: p.pages, Confirmed: true, Commander: p.commands, Now: now, Logger: a.log.With("component", "broadcast")}); err != nil {
		return nil, a.errf("%w", err)
	}
	p.closers = append(p.closers, p.broadcast.Close)
	back.broadcast = p.broadcast
	p.routes = &commandRouter{mqtt: p.commands, reg: a.reg.Get}

	// History: InfluxDB, through its spool.
	var tel ingest.TelemetrySink
	var hist runner.History
	if cfg.Influx.URL != "" {
		if p.telemetry, err = telemetry.New(telemetry.Config{
			URL: cfg.Influx.URL, Token: cfg.Influx.Token, Org: cfg.Influx.Org, Bucket: cfg.Influx.Bucket,
			Site: cfg.Site, SpoolDir: filepath.Join(cfg.DataDir, "spool", "telemetry"),
			SpoolBytes: cfg.Influx.SpoolMaxBytes, SpoolMinFreeBytes: cfg.Influx.SpoolMinFreeBytes,
			Levels: func(id string) (string, string) { return telemetry.GridLevels(a.reg.Get(), id) },
			Logger: a.log.With("component", "telemetry"), Registerer: a.metrics,
		}); err != nil {
			return nil, a.errf("telemetry: %w", err)
		}
		tel, hist, back.history = p.telemetry, p.telemetry, p.telemetry
	}

	// The desk: alarms, escalation, the retained alarm board, and the
	// evidence clips an alarm plans when it opens.
	cb := &clipBoard{next: board{pub: p.transport, topics: a.topics, live: back.PublishAlarm,
		onErr: func(err error) { a.log.Warn("alarm board", "err", err) }, log: a.log.With("component", "board")}}
	if p.desk, err = escalate.New(escalate.Config{
		Policies: cfg.Escalation,
		Registry: a.reg.Get,
		Notifier: p.pages,
		Board:    cb, Clips: clips.Planner{Registry: a.reg.Get},
		OnEmergency: back.EmergencySwitched,
		Store:       p.store,
		Now:         now,
		Shift:       p.clock.Shift(),
		Logger:      a.log.With("component", "escalate"),
		Registerer:  a.metrics,
	}); err != nil {
		return nil, a.errf("escalation: %w", err)
	}
	back.desk = p.desk
	if p.clips, err = a.newClips(p, cb); err != nil {
		return nil, err
	}
	p.tracker = devices.New(a.reg.Get, back.PublishDevice)
	if err := a.metrics.Register(p.tracker.Collector()); err != nil {
		return nil, a.errf("metrics: %w", err)
	}
	if p.uplink, err = a.openUplink(p); err != nil {
		return nil, err
	}
	if p.uplink != nil {
		p.closers = append(p.closers, p.uplink.Close)
		back.uplink, back.presence = p.uplink, &countyPresence{up: p.uplink, last: map[string]string{}}
	}

	// The journal, and the rules that follow it to the desk.
	jopts, err := a.journalOptions(p.store)
	if err != nil {
		return nil, err
	}
	if p.journal, err = journal.Open(filepath.Join(cfg.DataDir, journalDir), jopts); err != nil {
		return nil, a.errf("journal: %w", err)
	}
	p.closers = append(p.closers, p.journal.Close)
	if p.thresholds, err = a.openThresholds(p.journal); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.thresholds.Close)
	rules, err := runner.New(runner.Config{
		Engine: eng, Registry: a.reg.Get, Journal: p.journal, Desk: p.desk, Devices: trackerView{p.tracker},
		Commands: clipCommands{next: p.routes, reg: a.reg.Get}, History: hist, Back: p.broadcast.DeviceBack, DataDir: cfg.DataDir,
		Now: now, Shift: p.clock.Shift(), Logger: a.log.With("component", "rules"), Registerer: a.metrics,
	})
	if err != nil {
		return nil, a.errf("%w", err)
	}
	p.rules = rules

	// In: ingest, then the HTTP API.
	if p.ingest, err = ingest.New(ingest.Config{
		Topics: a.topics, Registry: a.reg.Get, Journal: commissionJournal{p.journal, p.commission},
		Devices: commissionDevices{liveDevices{p.tracker, p.rules}, p.commission}, Telemetry: tel, Thresholds: p.thresholds,
		Replies: replies{desk: p.desk}, Receipts: receipts{ledger: p.pages}, Commands: p.commands, Transport: a.transportName(),
		Life:       p.rules,
		MaxPayload: cfg.Ingest.MaxPayload, DeviceRate: cfg.Ingest.DeviceRate, DeviceBurst: cfg.Ingest.DeviceBurst,
		DedupeWindow: cfg.Ingest.DedupeWindow, Now: now, Logger: a.log.With("component", "ingest"), Registerer: a.metrics,
	}); err != nil {
		return nil, a.errf("ingest: %w", err)
	}
	back.ingest = p.ingest
	if p.drivers, err = a.drivers(p.ingest, p.routes); err != nil {
		return nil, err
	}

	if cfg.AuthEnabled() && len(cfg.HTTP.Tokens) == 0 && len(cfg.HTTP.Users) == 0 &&
		!slices.ContainsFunc(a.reg.Get().StaffList(), func(s *registry.Staff) bool { return s.PasswordHash != "" }) {
		a.log.Warn("the HTTP API is closed: auth is on and no http.tokens, http.users or staff password_hash are configured; health, metrics and the console page are served")
	}
	if p.listener, err = net.Listen("tcp", cfg.HTTP.Listen); err != nil {
		return nil, a.errf("http listen: %w", err)
	}
	p.closers = append(p.closers, p.listener.Close) // Serve closes it too; a second close is harmless
	if !isLoopback(p.listener.Addr()) && cfg.HTTP.MetricsToken == "" {
		a.log.Warn("/metrics is open to whoever reaches the HTTP listener; set http.metrics_token to require a scraper's bearer token",
			"listen", p.listener.Addr().String())
	}
	if p.http, err = httpapi.New(httpapi.Config{
		Auth: cfg.AuthEnabled(), Tokens: cfg.HTTP.Tokens, Loopback: isLoopback(p.listener.Addr()),
		TLSCert: cfg.HTTP.TLS.Cert, TLSKey: cfg.HTTP.TLS.Key, AllowedHosts: cfg.HTTP.AllowedHosts,
		TrustedProxies: cfg.HTTP.TrustedProxies,
		StreamsPerUser: cfg.HTTP.StreamsPerUser,
		Users:          httpUsers(cfg.HTTP.Users), Registry: a.reg.Get,
		Sessions: httpapi.SessionLimits{Idle: cfg.HTTP.Sessions.IdleTimeout, MaxAge: cfg.HTTP.Sessions.MaxAge,
			PerUser: cfg.HTTP.Sessions.PerUser},
		Alarms:    apiDesk{desk: p.desk},
		Oversight: p.desk, Broadcasts: p.broadcast, Rules: ruleAdmin{app: a, store: p.store},
		Cards:   cardView{reg: a.reg.Get, now: now},
		Pages:   p.pages, // the phone app's page receipts (POST /api/v1/pages/{id}/received)
		Devices: p.tracker, Metrics: a.metricsHandler(), MetricsToken: cfg.HTTP.MetricsToken,
		Clips: clipFiles{svc: p.clips},

		// Installers' tools.
		Commands:      deviceCommands{reg: a.reg.Get, routes: p.routes, store: p.store, now: now, onErr: a.log.Error, sessions: p.commission},
		Commissioning: commissionAPI{svc: p.commission, store: p.store, now: now, onErr: a.log.Error},

		ErrorStatus: httpapi.ErrorStatuses(map[error]int{
			escalate.ErrNotFound: http.StatusNotFound, escalate.ErrForbidden: http.StatusForbidden,
			escalate.ErrUnknownGrid: http.StatusNotFound,
			broadcast.ErrNotFound:   http.StatusNotFound, broadcast.ErrForbidden: http.StatusForbidden,
			broadcast.ErrUnknownGrid: http.StatusNotFound, broadcast.ErrBadRequest: http.StatusBadRequest,
			escalate.ErrStopped: http.StatusServiceUnavailable, escalate.ErrNotReady: http.StatusServiceUnavailable,
		}),
		Ready:  p.ready,
		Now:    now,
		Logger: a.log.With("component", "http"), Registerer: a.metrics,
	}); err != nil {
		return nil, a.errf("http: %w", err)
	}
	back.console = p.http
	if err := registerReady(a.metrics, p.ready); err != nil {
		return nil, a.errf("metrics: %w", err)
	}
	return p, nil
}

func (a *App) newTransport(h *backEdges) (transport, error) {
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
	users := map[string]broker.Credential{}
	for u, c := range e.Users {
		users[u] = broker.Credential{Password: c.Password, Hash: c.PasswordHash}
	}
	b, err := broker.New(broker.Config{
		Listen: e.Listen, TLSListen: e.TLS.Listen, TLSCert: e.TLS.Cert, TLSKey: e.TLS.Key,
		AllowAnonymous: cfg.AnonymousAllowed(), Users: users,
		Credentials:   func(user string) (string, bool) { return a.reg.Get().Credential(user) },
		MaxPacketSize: e.MaxPacketSize, ConnectTimeout: e.ConnectTimeout, MaxConnecting: e.MaxConnecting,
		TopicRoot: cfg.MQTT.TopicRoot, DataDir: cfg.DataDir, Handler: h,
		Logger: a.log.With("component", "broker"), Registerer: a.metrics,
	})
	if err != nil {
		return nil, a.errf("broker: %w", err)
	}
	return b, nil
}

// httpUsers is http.users as the HTTP API takes them.
func httpUsers(in map[string]config.HTTPUser) map[string]httpapi.User {
	out := make(map[string]httpapi.User, len(in))
	for name, u := range in {
		out[name] = httpapi.User{Role: permit.Account(u.Role), PasswordHash: u.PasswordHash}
	}
	return out
}
