package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gridwatch/gridwatch/gateway/county"
	"github.com/gridwatch/gridwatch/gateway/countyconfig"
	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/gateway/httpapi"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// County is the county view (gridwatchd county): the county cluster
// followed by a county.View, served by the HTTP API in county mode.
type County struct {
	cfg      *countyconfig.Config
	log      *slog.Logger
	view     *county.View
	http     *httpapi.Server
	listener net.Listener
}

// noDevices is the county's device list: it has none of its own.
type noDevices struct{}

func (noDevices) List() []devices.Status { return []devices.Status{} }

// NewCounty builds the county view from cfg and binds its HTTP listener.
// It starts nothing else.
func NewCounty(cfg *countyconfig.Config, log *slog.Logger) (*County, error) {
	metrics := prometheus.NewRegistry()
	metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	tlsCfg, err := countyTLS(cfg.MQTT.TLS)
	if err != nil {
		return nil, err
	}
	reg := cfg.Registry()
	regFn := func() *registry.Registry { return reg }
	c := &County{cfg: cfg, log: log}
	// The view tells the API of changes; the API is built after it.
	var api *httpapi.Server
	c.view, err = county.New(county.Config{
		County: cfg.County, URL: cfg.MQTT.URL, URLs: cfg.MQTT.URLs, Username: cfg.MQTT.Username, Password: cfg.MQTT.Password, TLS: tlsCfg,
		ClientID: cfg.MQTT.ClientID, ReplyWait: cfg.ReplyTimeout, Registry: regFn,
		OnAlarm: func(a county.Alarm) {
			if api != nil {
				api.PublishCountyAlarm(a)
			}
		},
		OnSite: func(h county.SiteHealth) {
			if api != nil {
				api.PublishSite(h)
			}
		},
		Logger: log.With("component", "county"), Registerer: metrics,
	})
	if err != nil {
		return nil, fmt.Errorf("gridwatchd county: %w", err)
	}
	if c.listener, err = net.Listen("tcp", cfg.HTTP.Listen); err != nil {
		return nil, fmt.Errorf("gridwatchd county: http: %w", err)
	}
	api, err = httpapi.New(httpapi.Config{
		Auth: cfg.AuthEnabled(), Tokens: cfg.HTTP.Tokens, Loopback: isLoopback(c.listener.Addr()),
		TLSCert: cfg.HTTP.TLS.Cert, TLSKey: cfg.HTTP.TLS.Key, AllowedHosts: cfg.HTTP.AllowedHosts,
		TrustedProxies: cfg.HTTP.TrustedProxies,
		StreamsPerUser: cfg.HTTP.StreamsPerUser,
		Users:          httpUsers(cfg.HTTP.Users), Registry: regFn,
		Sessions: httpapi.SessionLimits{Idle: cfg.HTTP.Sessions.IdleTimeout, MaxAge: cfg.HTTP.Sessions.MaxAge,
			PerUser: cfg.HTTP.Sessions.PerUser},
		County: c.view, Devices: noDevices{},
		Metrics:      promhttp.HandlerFor(metrics, promhttp.HandlerOpts{Registry: metrics}),
		MetricsToken: cfg.HTTP.MetricsToken,
		Ready:        c.view.Ready,
		Logger:       log.With("component", "http"), Registerer: metrics,
	})
	if err != nil {
		c.listener.Close()
		return nil, fmt.Errorf("gridwatchd county: http: %w", err)
	}
	c.http = api
	return c, nil
}

// countyTLS is the client TLS of the cluster connection, or nil.
func countyTLS(t countyconfig.TLS) (*tls.Config, error) {
	if t.CA == "" && t.Cert == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CA != "" {
		pem, err := os.ReadFile(t.CA)
		if err != nil {
			return nil, fmt.Errorf("gridwatchd county: mqtt.tls.ca: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("gridwatchd county: mqtt.tls.ca: %s holds no PEM certificate", t.CA)
		}
	}
	if t.Cert != "" {
		pair, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("gridwatchd county: mqtt.tls.cert: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// HTTPAddr is the address the API listens on.
func (c *County) HTTPAddr() net.Addr { return c.listener.Addr() }

// Run follows the county cluster and serves the API until ctx ends.
func (c *County) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() {
		errs[0] = c.view.Run(ctx)
		cancel()
	})
	wg.Go(func() {
		errs[1] = c.http.Serve(ctx, c.listener)
		cancel()
	})
	c.log.Info("gridwatch county view serving", "county", c.cfg.County, "http", c.listener.Addr().String(), "mqtt", c.cfg.MQTT.URL)
	wg.Wait()
	return errors.Join(errs...)
}
