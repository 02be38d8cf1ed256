package county

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/gateway/ratelog"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// Defaults of Config.
const (
	DefaultReplyWait = 10 * time.Second
	DefaultSettle    = 10 * time.Second
)

// Config is what a View is built from.
type Config struct {
	// County is the county's id in the topics.
	County string
	// URL is the county cluster's MQTT broker (tcp://, ssl://, ws://);
	// Username and Password its credentials; TLS, when set, the client
	// side of a TLS connection.
	URL, Username, Password string
	TLS                     *tls.Config
	// URLs are further nodes of the cluster, tried in turn when the one
	// connected goes away.
	URLs []string
	// ClientID names the view's MQTT session; empty makes a random one.
	// Two views must not share one.
	ClientID string
	// ReplyWait bounds how long a request waits for the site's reply
	// (0: DefaultReplyWait).
	ReplyWait time.Duration
	// Settle is how long after a (re)subscription the view sweeps (see
	// State.Sweep) and how often it asks the cluster again for the
	// retained alarms of sites whose summary lists open alarms the view
	// does not hold (0: DefaultSettle). The view never drops an alarm
	// because its retained state did not come again.
	Settle time.Duration
	// Registry holds the county's own staff, who log in and act.
	Registry func() *registry.Registry
	// OnAlarm and OnSite are told of every change; they must not block.
	OnAlarm func(Alarm)
	OnSite  func(SiteHealth)
	// Now is the clock; nil for time.Now.
	Now        func() time.Time
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// View is the county view: the State it keeps from the cluster and the
// requests it sends the sites. Build it with New and run it with Run.
type View struct {
	cfg   Config
	log   *slog.Logger
	warn  *ratelog.Limiter
	m     *metrics
	state *State

	client     paho.Client
	filters    []string // countywire.CountyFilters; tests may leave some out
	subscribed atomic.Bool
	connects   chan struct{} // a connect to subscribe after

	mu      sync.Mutex
	pending map[string]pendingReply
}

// pendingReply is a request waiting for its site's reply.
type pendingReply struct {
	site string
	ch   chan countywire.Reply
}

// New checks cfg and builds the view. It starts nothing.
func New(cfg Config) (*View, error) {
	var errs []error
	if !validSiteID(cfg.County) {
		errs = append(errs, fmt.Errorf("county: county id %q: want 1 to 64 of A-Z a-z 0-9 . _ -", cfg.County))
	}
	if cfg.URL == "" {
		errs = append(errs, errors.New("county: the cluster's URL is empty"))
	}
	if cfg.Registry == nil {
		errs = append(errs, errors.New("county: Config.Registry is nil"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.ReplyWait <= 0 {
		cfg.ReplyWait = DefaultReplyWait
	}
	if cfg.Settle <= 0 {
		cfg.Settle = DefaultSettle
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "gridwatch-county-" + cfg.County + "-" + randomHex(6)
	}
	m := newMetrics()
	if err := m.register(cfg.Registerer); err != nil {
		return nil, err
	}
	v := &View{
		cfg: cfg, log: cfg.Logger, warn: ratelog.New(cfg.Logger, 10*time.Second, cfg.Now), m: m,
		state:    NewState(cfg.County, cfg.Now, m, cfg.OnAlarm, cfg.OnSite),
		connects: make(chan struct{}, 1),
		pending:  make(map[string]pendingReply),
		filters:  countywire.CountyFilters(cfg.County),
	}
	v.client = v.newClient()
	return v, nil
}

// State is the view's picture of the county.
func (v *View) State() *State { return v.state }

// Ready reports why the view is not ready: not connected and subscribed
// to the cluster.
func (v *View) Ready() error {
	if !v.subscribed.Load() {
		return fmt.Errorf("not subscribed to the county cluster at %s", v.cfg.URL)
	}
	return nil
}

// Run connects to the cluster (retrying until ctx ends), follows it and
// answers requests' replies; on ctx done it disconnects.
func (v *View) Run(ctx context.Context) error {
	tok := v.client.Connect()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			v.log.Error("county: connect failed", "url", v.cfg.URL, "err", err)
		}
	case <-ctx.Done():
	}
	var (
		retry, settle <-chan time.Time
		epoch         uint64
	)
	fetch := time.NewTicker(v.cfg.Settle)
	defer fetch.Stop()
	// extra are the per-site alarm filters subscribed besides the
	// county's (see refetch); a clean session forgets them on reconnect.
	extra := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			v.subscribed.Store(false)
			v.m.connected.Set(0)
			v.client.Disconnect(250)
			return nil
		case <-v.connects:
			retry, settle = nil, nil
			clear(extra)
			if epoch = v.subscribe(); epoch == 0 {
				retry = time.After(2 * time.Second)
			} else {
				settle = time.After(v.cfg.Settle)
			}
		case <-settle:
			settle = nil
			if n := v.state.Sweep(epoch); n > 0 {
				v.log.Info("county: open alarms closed by their sites' summaries (their closing records missed)", "alarms", n)
			}
		case <-retry:
			retry = nil
			if v.client.IsConnected() {
				select {
				case v.connects <- struct{}{}:
				default:
				}
			}
		case <-fetch.C:
			if v.subscribed.Load() {
				v.refetch(extra)
			}
		}
	}
}

// newClient makes the view's MQTT client (it connects nothing yet).
func (v *View) newClient() paho.Client {
	opts := paho.NewClientOptions()
	for _, u := range append([]string{v.cfg.URL}, v.cfg.URLs...) {
		opts.AddBroker(u)
	}
	opts.SetClientID(v.cfg.ClientID).
		SetUsername(v.cfg.Username).
		SetPassword(v.cfg.Password).
		// A clean session: the view keeps nothing and rebuilds from the
		// retained state on every connect, so the cluster need hold no
		// queue for a view that may never come back.
		SetCleanSession(true).
		SetOrderMatters(true). // the handler only applies in memory
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(2 * time.Second).
		SetMaxReconnectInterval(10 * time.Second).
		SetConnectTimeout(10 * time.Second).
		SetWriteTimeout(10 * time.Second).
		SetKeepAlive(15 * time.Second).
		SetPingTimeout(5 * time.Second).
		SetOnConnectHandler(v.onConnect).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			v.subscribed.Store(false)
			v.m.connected.Set(0)
			v.log.Warn("county: connection to the cluster lost", "url", v.cfg.URL, "err", err)
		})
	if v.cfg.TLS != nil {
		opts.SetTLSConfig(v.cfg.TLS)
	}
	return paho.NewClient(opts)
}

// onConnect runs on paho's goroutine after each connect: Run subscribes.
func (v *View) onConnect(paho.Client) {
	select {
	case v.connects <- struct{}{}:
	default:
	}
}

// subscribe subscribes to the county's topics afresh; the cluster then
// sends every retained state again (or, while it elects leaders, may
// not: see refetch). It returns the resync epoch, or 0 when the
// subscription failed.
func (v *View) subscribe() uint64 {
	epoch := v.state.BeginResync()
	filters := make(map[string]byte)
	for _, f := range v.filters {
		filters[f] = 1
	}
	tok := v.client.SubscribeMultiple(filters, v.route)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		v.log.Error("county: subscribe failed; trying again", "url", v.cfg.URL, "err", tok.Error())
		return 0
	}
	v.subscribed.Store(true)
	v.m.connected.Set(1)
	v.log.Info("county: following the county cluster", "url", v.cfg.URL, "county", v.cfg.County, "client_id", v.cfg.ClientID)
	return epoch
}

// route runs on paho's goroutine: replies go to their requests, the rest
// to the state. Neither blocks.
func (v *View) route(_ paho.Client, m paho.Message) {
	topic := m.Topic()
	if site, rest, ok := countywire.SiteOf(v.cfg.County, topic); ok && rest == "reply" {
		v.reply(site, m.Payload())
		return
	}
	if err := v.state.Apply(topic, m.Payload()); err != nil {
		site, _, _ := countywire.SiteOf(v.cfg.County, topic)
		v.warn.Warn("reject:"+site, "county: message refused", "topic", trim(topic, 200), "err", err)
	}
}

func trim(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return strings.ToLower(hex.EncodeToString(b))
}

// List returns the alarms f selects (see State.List).
func (v *View) List(f Filter) []Alarm { return v.state.List(f) }

// Get returns alarm k (see State.Get).
func (v *View) Get(k Key) (Alarm, bool) { return v.state.Get(k) }

// Sites returns every site's health.
func (v *View) Sites() []SiteHealth { return v.state.Sites() }

// KPIs works out the KPIs since sinceMS (see State.KPIs).
func (v *View) KPIs(sinceMS int64) KPIReport { return v.state.KPIs(sinceMS) }
