// Package httpapi is the gateway's HTTP interface: health and readiness,
// Prometheus metrics, the alarm and device API of docs/contract.md (list, inspect,
// acknowledge, arrive, resolve), a Server-Sent Events stream of alarm and
// device changes, and the security-room console page.
//
// New builds the handler and starts nothing; Serve serves one listener
// until its context ends, then shuts down gracefully within a bound,
// telling stream clients to go.
package httpapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/ratelog"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/gateway/session"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Alarms is the escalation desk as the API sees it.
type Alarms interface {
	List(f alarm.Filter) ([]alarm.Alarm, error)
	Get(id string) (alarm.Alarm, bool, error)
	// Act applies act for caller who (act.By is who.ID), checking that
	// they may (an error that maps to 403 if not).
	Act(ctx context.Context, who permit.Caller, act event.Action) (alarm.Alarm, error)
}

// Devices is the device tracker as the API sees it.
type Devices interface {
	List() []devices.Status
}

var _ Devices = (*devices.Tracker)(nil)

// Config is what a Server is built from.
type Config struct {
	// Auth requires a bearer token or a login session on every /api/
	// request. It may be off only when Loopback is true; then a request
	// with neither is the local console's.
	Auth bool
	// Tokens maps staff id → bearer token. Each token is at least 16 bytes
	// and unique.
	Tokens map[string]string
	// Loopback says the listener accepts loopback connections only; Serve
	// checks it.
	Loopback bool
	// TLSCert and TLSKey are PEM files; when set, Serve speaks HTTPS only
	// (TLS 1.2 or newer) and picks up renewed files without a restart.
	TLSCert, TLSKey string
	// AllowedHosts are further host names (besides loopback ones) the
	// Host header may carry. With auth off, or when this list is not
	// empty, any other Host is refused with 421 (DNS rebinding).
	AllowedHosts []string
	// TrustedProxies are the reverse proxies (IP addresses and CIDR
	// blocks) whose X-Forwarded-For names the client. Only a request whose
	// TCP peer is one of them is taken as from the address the header's
	// rightmost untrusted hop names; empty, the header is never believed.
	// The client's address keys login throttling and names the client in
	// audit lines and logs.
	TrustedProxies []string
	// StreamsPerUser bounds the live streams one staff member may hold
	// open at once (0: DefaultStreamsPerUser), so one token cannot take
	// every slot; the global bound is maxStreams.
	StreamsPerUser int
	// Users are the config file's accounts (http.users), by name; staff
	// of the registry log in with their own password_hash.
	Users map[string]User
	// Sessions bounds the browser sessions; zero fields take the
	// defaults (DefaultSessionIdle, DefaultSessionMaxAge,
	// DefaultSessionsPerUser).
	Sessions SessionLimits
	// Registry returns the current registry: who may log in, and the
	// cells each caller sees (every read is cut down to them) . nil is an
	// empty registry: only config accounts log in, and staff see nothing.
	Registry func() *registry.Registry
	Alarms   Alarms
	Devices  Devices
	// Oversight serves /api/v1/emergency and /api/v1/audit; nil leaves
	// those routes out.
	Oversight Oversight
	// Broadcasts serves /api/v1/broadcasts; nil leaves those routes out.
	Broadcasts Broadcasts
	// Rules serves /api/v1/rules and /api/v1/silences; nil leaves those
	// routes out.
	Rules Rules
	// Cards serves /api/v1/cards; nil leaves it out.
	Cards Cards
	// Pages takes the phone app's page receipts (POST
	// /api/v1/pages/{id}/received); nil leaves the route out.
	Pages Pages
	// Commands serves POST /api/v1/devices/{id}/commands; nil leaves it
	// out. CommandWait bounds how long it waits for the device's answer
	// (0: DefaultCommandWait).
	Commands    DeviceCommands
	CommandWait time.Duration
	// Commissioning serves /api/v1/commissioning; nil leaves it out.
	Commissioning Commissioning
	// Clips serves alarms' evidence clips and stills
	// (/api/v1/alarms/{id}/clips/{camera}.mp4|.jpg); nil leaves it out.
	// ClipRetry is the Retry-After of a clip still recording (0: 10s).
	Clips     ClipFiles
	ClipRetry time.Duration
	// County, when set, serves the county view instead of a gateway's
	// alarms (county mode: see County); Alarms may then be nil.
	County County
	// Ready reports why the gateway is not ready (nil when it is); nil
	// means always ready.
	Ready func() error
	// Metrics serves /metrics; nil leaves the route out.
	Metrics http.Handler
	// MetricsToken, when set, is the bearer token /metrics requires (a
	// scraper's; see metricsGate).
	MetricsToken string
	// ErrorStatus maps an error of the desk to an HTTP status (0 when it
	// does not know it), e.g. escalate.ErrNotFound → 404, ErrForbidden →
	// 403. Errors with an HTTPStatus() int method and alarm.ErrTransition
	// (409) need no mapping. The rest are 500. See ErrorStatuses.
	ErrorStatus func(error) int
	// Now is the clock actions are stamped with; nil for time.Now.
	Now        func() time.Time
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// SessionLimits bounds the login sessions.
type SessionLimits struct {
	Idle, MaxAge time.Duration
	PerUser      int
}

// Defaults of SessionLimits.
const (
	DefaultSessionIdle     = 12 * time.Hour
	DefaultSessionMaxAge   = 7 * 24 * time.Hour
	DefaultSessionsPerUser = 8
)

// Server is the HTTP interface. Build it with New.
type Server struct {
	cfg      Config
	log      *slog.Logger
	auditLog *ratelog.Limiter
	now      func() time.Time
	tokens   *tokens
	sessions *session.Store
	throttle *session.Throttle
	kdf      chan struct{} // a slot per password check running
	hosts    hostGuard
	proxies  proxies     // whose X-Forwarded-For is believed (clientaddr.go)
	certs    *certSource // nil: plain HTTP
	hub      *hub
	metrics  *metrics
	page     []byte
	handler  http.Handler
	limits   limits
	// siteVersion orders the county mode's site events.
	siteVersion atomic.Uint64
}

// limits are the server's time bounds.
type limits struct {
	readHeader, read, write, idle time.Duration // of http.Server
	shutdown                      time.Duration // graceful shutdown
	keepAlive                     time.Duration // an idle stream gets a comment line
	kdfWait                       time.Duration // a login waits this long for a password-check slot, then 503
}

func defaultLimits() limits {
	return limits{
		readHeader: 10 * time.Second,
		read:       30 * time.Second,
		write:      30 * time.Second, // the stream lifts it for itself
		idle:       2 * time.Minute,
		shutdown:   5 * time.Second,
		keepAlive:  15 * time.Second,
		kdfWait:    5 * time.Second,
	}
}

// New checks cfg and builds the server's handler. It starts nothing.
func New(cfg Config) (*Server, error) {
	var errs []error
	if cfg.Alarms == nil && cfg.County == nil {
		errs = append(errs, errors.New("httpapi: Config.Alarms is nil"))
	}
	if cfg.Devices == nil {
		errs = append(errs, errors.New("httpapi: Config.Devices is nil"))
	}
	if !cfg.Auth && !cfg.Loopback {
		errs = append(errs, errors.New("httpapi: auth may be off only on a loopback-only listener"))
	}
	tok, err := newTokens(cfg.Auth, cfg.Tokens)
	if err != nil {
		errs = append(errs, err)
	}
	if cfg.StreamsPerUser < 0 {
		errs = append(errs, fmt.Errorf("httpapi: StreamsPerUser is %d; want 0 (default) or more", cfg.StreamsPerUser))
	}
	if cfg.ClipRetry == 0 {
		cfg.ClipRetry = 10 * time.Second
	}
	if cfg.StreamsPerUser == 0 {
		cfg.StreamsPerUser = DefaultStreamsPerUser
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		errs = append(errs, errors.New("httpapi: TLS needs both a certificate and a key file"))
	}
	if err := checkUsers(cfg.Users); err != nil {
		errs = append(errs, err)
	}
	trusted, err := parseProxies(cfg.TrustedProxies)
	if err != nil {
		errs = append(errs, fmt.Errorf("httpapi: %w", err))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	sl := cfg.Sessions
	sessions, err := session.New(session.Config{
		Idle: cmp.Or(sl.Idle, DefaultSessionIdle), MaxAge: cmp.Or(sl.MaxAge, DefaultSessionMaxAge),
		PerUser: cmp.Or(sl.PerUser, DefaultSessionsPerUser), Now: cfg.Now,
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("httpapi: %w", err))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.Registry == nil {
		empty := registry.Empty()
		cfg.Registry = func() *registry.Registry { return empty }
	}
	m, err := newMetrics(cfg.Registerer, sessions.Len)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger, now: cfg.Now, tokens: tok, metrics: m,
		sessions: sessions, throttle: session.NewThrottle(cfg.Now), kdf: make(chan struct{}, kdfSlots()),
		hosts: newHostGuard(cfg.Auth, cfg.AllowedHosts), proxies: trusted,
		limits: defaultLimits(),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.auditLog = ratelog.New(s.log, 10*time.Second, s.now)
	reg := cfg.Registry()
	for name := range cfg.Users {
		if _, ok := reg.Staff(name); ok {
			s.log.Warn("http api: an account of http.users has the id of a staff member; logging in as it is the config account", "user", name)
		}
	}
	if cfg.TLSCert != "" {
		if s.certs, err = newCertSource(cfg.TLSCert, cfg.TLSKey, s.log, s.now); err != nil {
			return nil, err
		}
	}
	s.hub = newHub(m, cfg.StreamsPerUser)
	if s.page, err = consolePage(cfg.Auth); err != nil {
		return nil, err
	}
	s.handler = s.count(s.guard(s.routes()))
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// stopKey keys the channel that Serve closes to tell streams to go.
type stopKey struct{}

// Serve serves ln until ctx is done, then shuts down gracefully: stream
// clients are told to go, requests in flight get up to 5 s to finish, and
// the rest are cut. It returns nil after a clean shutdown. It refuses a
// listener that is not loopback-only when Loopback or auth-off promised
// one.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if ln == nil {
		return errors.New("httpapi: serve: nil listener")
	}
	if (s.cfg.Loopback || !s.cfg.Auth) && !isLoopback(ln.Addr()) {
		ln.Close()
		return fmt.Errorf("httpapi: serve: %s is not a loopback address, but the config says the listener is loopback-only (auth %s)", ln.Addr(), onOff(s.cfg.Auth))
	}
	if s.cfg.Auth && s.certs == nil && !isLoopback(ln.Addr()) {
		s.log.Warn("INSECURE: the HTTP API listens on a network address without TLS: passwords, session cookies, bearer tokens and alarms cross the network in clear text; set http.tls.cert and http.tls.key",
			"listen", ln.Addr().String())
	}
	stop := make(chan struct{})
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.limits.readHeader,
		ReadTimeout:       s.limits.read,
		WriteTimeout:      s.limits.write,
		IdleTimeout:       s.limits.idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context {
			return context.WithValue(context.Background(), stopKey{}, stop)
		},
	}
	served := make(chan error, 1)
	if s.certs != nil {
		srv.TLSConfig = s.certs.tlsConfig()
		if c := s.certs.current(); c.Leaf != nil && s.now().After(c.Leaf.NotAfter) {
			// Served anyway: refusing to start would take the alarm API
			// down over a certificate; clients will refuse it and say why.
			s.log.Warn("http api: the TLS certificate has expired; renew it (it is picked up without a restart)",
				"cert", s.cfg.TLSCert, "not_after", c.Leaf.NotAfter)
		}
		go func() { served <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { served <- srv.Serve(ln) }()
	}
	select {
	case err := <-served:
		return fmt.Errorf("httpapi: serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	close(stop)
	sctx, cancel := context.WithTimeout(context.Background(), s.limits.shutdown)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		srv.Close()
		err = fmt.Errorf("httpapi: shutdown %s: %w", ln.Addr(), err)
	}
	<-served // returns ErrServerClosed as soon as Shutdown or Close began
	return err
}

func isLoopback(a net.Addr) bool {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	return false
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
