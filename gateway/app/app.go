// Package app is gridwatch's composition root: the only place that knows
// every concrete part and wires them together — transports into ingest,
// ingest into the journal, the journal into the rules and the escalation
// desk, the desk out to staff phones, the board and the console.
package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/clips"
	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
	"github.com/gridwatch/gridwatch/rules/runner"
	"github.com/gridwatch/gridwatch/rules/silence"
)

// App is one gateway.
type App struct {
	cfg      config.Config
	log      *slog.Logger
	reg      *registry.Holder
	metrics  *prometheus.Registry
	topics   wire.Topics
	registry string // the registry file path ("" when none)

	// reloadMu serialises rule reloads.
	reloadMu sync.Mutex

	mu          sync.Mutex
	rules       *rulefile.File // the rules in force
	silences    *silence.Set   // the operators' silences; set by build
	rulesLoaded time.Time
	runner      *runner.Runner // the rules at work; set by Run once they are restored
	httpAddr    net.Addr
	started     chan struct{}
	// wall reads the system's wall clock (nil: time.Now); see WithWallClock.
	wall func() time.Time
	// clipRec records alarm clips (nil: none); see WithClipRecorder.
	clipRec clips.Recorder
}

// Option adjusts an App made by New.
type Option func(*App)

// WithWallClock makes the gateway read the wall clock from now instead of
// time.Now: the fault suite steps it (clock.OffsetWall) to show that a
// step of the system clock moves no deadline.
func WithWallClock(now func() time.Time) Option { return func(a *App) { a.wall = now } }

// New validates cfg and loads the registry. It starts nothing.
func New(cfg config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &App{
		cfg:     cfg,
		log:     log,
		metrics: prometheus.NewRegistry(),
		topics:  wire.Topics{Root: cfg.MQTT.TopicRoot},
		started: make(chan struct{}),
	}
	for _, o := range opts {
		o(a)
	}
	reg, path, err := loadRegistry(cfg.Registry, cfg.RegistryOptional(), log)
	if err != nil {
		return nil, err
	}
	a.reg, a.registry = registry.NewHolder(reg), path
	if a.rules, err = rulefile.Load(cfg.Rules); err != nil {
		return nil, err
	}
	a.rulesLoaded = time.Now()
	a.metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return a, nil
}

// loadRegistry reads the registry file. A missing file at the default
// path gives an empty registry (every device then shows as unregistered);
// a missing file the config names explicitly is an error.
func loadRegistry(path string, optional bool, log *slog.Logger) (*registry.Registry, string, error) {
	reg, err := registry.Load(path)
	if err == nil {
		return reg, path, nil
	}
	if errors.Is(err, os.ErrNotExist) && optional {
		log.Warn("no registry file; starting with an empty registry", "path", path)
		empty, perr := registry.Parse("(empty)", []byte("{}"))
		return empty, "", perr
	}
	return nil, "", err
}

// ReloadRegistry re-reads the registry file. On any problem the running
// registry stays in force and the error says every problem found.
func (a *App) ReloadRegistry() error {
	if a.registry == "" {
		return errors.New("no registry file to reload")
	}
	if err := a.reg.Reload(a.registry); err != nil {
		a.log.Error("registry reload refused; the old registry stays in force", "err", err)
		return err
	}
	a.log.Info("registry reloaded", "path", a.registry, "devices", len(a.reg.Get().Devices()))
	return nil
}

// HTTPAddr is the address the HTTP server listens on, once Run has started it.
func (a *App) HTTPAddr() net.Addr {
	<-a.started
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.httpAddr
}

// Started is closed once the gateway serves (or Run failed before that).
func (a *App) Started() <-chan struct{} { return a.started }

func (a *App) metricsHandler() http.Handler {
	return promhttp.HandlerFor(a.metrics, promhttp.HandlerOpts{Registry: a.metrics})
}

func (a *App) errf(format string, args ...any) error {
	return fmt.Errorf("gridwatchd: "+format, args...)
}
