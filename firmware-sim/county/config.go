// Package county simulates a county's worth of community gateways on the
// county tier's MQTT cluster, and measures what a county view would see.
//
// Each simulated site is one MQTT connection speaking gateway/countywire
// as a gateway's uplink does: a retained online status with an offline
// will, a persistent session subscribed to its down topic, a Summary
// every SummaryEvery (an events record plus the retained summary), alarm
// lifecycles (raised, paged, delivered, ack, arrive, resolve; the
// retained alarm/{id} follows each step and is emptied on resolve) and
// device presence changes, each site publishing its records one at a
// time in Seq order at QoS 1. A burst of BurstPresses alarms raised
// across as many sites within one second tests the county's worst minute.
//
// A measuring subscriber, on its own connection, receives every site's
// events and reports end-to-end latency (from just before publish to
// receipt, on this process's monotonic clock), records lost, duplicated
// and out of order, and the backlog after the burst: records acknowledged
// by the broker but not yet received when the burst's last press was
// published, and how long they took to drain.
package county

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
)

// Defaults. The alarm and presence rates are those of the reference
// county (2,000+ alarm light boxes, 15,000+ cameras, 283 communities),
// rounded up: see AlarmsPerHour and PresencePerHour.
const (
	DefaultSites        = 300
	DefaultSummaryEvery = 30 * time.Second
	// DefaultAlarmsPerHour: 2,000 light boxes pressed, by accident, in
	// tests and for real, about once a week each is ~12 alarms an hour;
	// 60 an hour is five times that, so the steady state is not flattering.
	DefaultAlarmsPerHour = 60
	// DefaultPresencePerHour: 15,000 cameras and boxes, each dropping off
	// and coming back about once a day, is ~1,250 changes an hour.
	DefaultPresencePerHour = 1250
	DefaultStepEvery       = 5 * time.Second // between an alarm's lifecycle steps
	DefaultBurstPresses    = 100
	DefaultDuration        = 2 * time.Minute
	DefaultDrain           = 30 * time.Second
	DefaultConnectParallel = 16
)

// Config is one run.
type Config struct {
	// Dial reaches the cluster; Brokers, if set, spreads the sites over
	// several nodes (site i connects to Brokers[i%len]); the subscriber
	// uses the first.
	Dial    mqttconn.Dial
	Brokers []string
	County  string
	Sites   int

	SummaryEvery    time.Duration
	AlarmsPerHour   float64
	PresencePerHour float64
	StepEvery       time.Duration
	// BurstPresses alarms are raised across as many distinct sites within
	// one second, BurstAt after the sites are connected (0: half of
	// Duration). BurstPresses 0 disables the burst.
	BurstPresses int
	BurstAt      time.Duration
	Duration     time.Duration
	// Drain bounds the wait, after publishing stops, for the subscriber
	// to receive everything the broker acknowledged.
	Drain time.Duration
	// ConnectParallel sites connect at once (a 300-site reconnect storm
	// is a test of its own; this is not it).
	ConnectParallel int
	Seed            int64
	Logger          *slog.Logger
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	if c.County == "" {
		c.County = "sim"
	}
	if c.Sites == 0 {
		c.Sites = DefaultSites
	}
	if c.SummaryEvery == 0 {
		c.SummaryEvery = DefaultSummaryEvery
	}
	if c.StepEvery == 0 {
		c.StepEvery = DefaultStepEvery
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.BurstAt == 0 {
		c.BurstAt = c.Duration / 2
	}
	if c.Drain == 0 {
		c.Drain = DefaultDrain
	}
	if c.ConnectParallel == 0 {
		c.ConnectParallel = DefaultConnectParallel
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if len(c.Brokers) == 0 {
		c.Brokers = []string{c.Dial.Broker}
	}
	if c.Dial.Broker == "" {
		c.Dial.Broker = c.Brokers[0]
	}
	return c
}

// Validate reports every problem with the configuration.
func (c Config) Validate() error {
	var errs []error
	for _, b := range c.Brokers {
		d := c.Dial
		d.Broker = b
		if err := d.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Sites < 1 {
		errs = append(errs, fmt.Errorf("sites %d: want at least 1", c.Sites))
	}
	if c.BurstPresses < 0 || c.BurstPresses > c.Sites {
		errs = append(errs, fmt.Errorf("burst %d: want 0..sites (%d), one press per site", c.BurstPresses, c.Sites))
	}
	if c.AlarmsPerHour < 0 || c.PresencePerHour < 0 {
		errs = append(errs, errors.New("rates must not be negative"))
	}
	if c.BurstAt >= c.Duration && c.BurstPresses > 0 {
		errs = append(errs, fmt.Errorf("burst at %v is not within the run's %v", c.BurstAt, c.Duration))
	}
	return errors.Join(errs...)
}
