package county

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Sim is one county simulation: New checks the configuration, Run
// connects, publishes for Duration, drains and returns the result.
type Sim struct {
	cfg Config
}

// New checks cfg; it starts nothing.
func New(cfg Config) (*Sim, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("county sim: %w", err)
	}
	return &Sim{cfg: cfg}, nil
}

// Run runs the simulation. It fails if a site or the subscriber cannot
// connect; losses, duplicates and disorder are in the result, not errors.
func (sim *Sim) Run(ctx context.Context, watch ...Proc) (*Result, error) {
	cfg := sim.cfg
	tr := newTracker(cfg.BurstPresses)
	sub := &subscriber{dial: cfg.Dial, county: cfg.County, tr: tr}
	if err := sub.connect(ctx); err != nil {
		return nil, err
	}
	defer sub.close()

	sites := make([]*site, cfg.Sites)
	for i := range sites {
		sites[i] = newSite(cfg, i, tr)
	}
	defer func() {
		for _, s := range sites {
			s.close()
		}
	}()
	connStart := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cfg.ConnectParallel)
	for _, s := range sites {
		g.Go(func() error { return s.connect(gctx) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	res := &Result{Sites: cfg.Sites, County: cfg.County, Brokers: len(cfg.Brokers), ConnectSeconds: time.Since(connStart).Seconds()}
	cfg.Logger.Info("county sim: sites connected", "sites", cfg.Sites, "seconds", res.ConnectSeconds)

	before := sampleAll(watch)
	self0 := selfUsage()
	start := time.Now()
	pubCtx, stop := context.WithTimeout(ctx, cfg.Duration)
	defer stop()
	var wg sync.WaitGroup
	for _, s := range sites {
		wg.Go(func() { s.run(pubCtx) })
	}
	wg.Go(func() { schedule(pubCtx, cfg, sites) })
	wg.Wait()
	published := time.Since(start)

	// Drain: everything acknowledged must reach the subscriber.
	deadline := time.Now().Add(cfg.Drain)
	for tr.missing() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	res.fill(tr, cfg, published)
	res.Self = self0.since(selfUsage(), time.Since(start))
	res.Procs = sampleSince(before, watch, time.Since(start))
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, nil
}

// schedule hands the sites their alarms and presence changes at the
// configured county-wide rates (a Poisson process each), and the burst.
func schedule(ctx context.Context, cfg Config, sites []*site) {
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0xc0ffee))
	start := time.Now()
	next := func(perHour float64) time.Time {
		if perHour <= 0 {
			return start.Add(100 * 365 * 24 * time.Hour)
		}
		return time.Now().Add(time.Duration(rng.ExpFloat64() / perHour * float64(time.Hour)))
	}
	nextAlarm, nextPresence := next(cfg.AlarmsPerHour), next(cfg.PresencePerHour)
	burstAt := start.Add(cfg.BurstAt)
	burstLeft := cfg.BurstPresses
	order := rng.Perm(len(sites))
	give := func(s *site, j job) {
		select {
		case s.work <- j:
		case <-ctx.Done():
		}
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		due := nextAlarm
		if nextPresence.Before(due) {
			due = nextPresence
		}
		if burstLeft > 0 && burstAt.Before(due) {
			due = burstAt
		}
		timer.Reset(time.Until(due))
		select {
		case <-ctx.Done():
			return
		case now := <-timer.C:
			if burstLeft > 0 && !now.Before(burstAt) {
				// One press per site, spread evenly over one second.
				i := cfg.BurstPresses - burstLeft
				give(sites[order[i]], job{press: true, burst: true})
				burstLeft--
				burstAt = burstAt.Add(time.Second / time.Duration(cfg.BurstPresses))
			}
			if !now.Before(nextAlarm) {
				give(sites[rng.IntN(len(sites))], job{press: true})
				nextAlarm = next(cfg.AlarmsPerHour)
			}
			if !now.Before(nextPresence) {
				give(sites[rng.IntN(len(sites))], job{presence: true})
				nextPresence = next(cfg.PresencePerHour)
			}
		}
	}
}

// ErrIncomplete is returned by Result.Check when records were lost or
// disordered.
var ErrIncomplete = errors.New("county sim: the county did not get every record once, in order")
