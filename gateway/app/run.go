package app

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/journal"
)

// Run builds the gateway, replays what the rules had not applied, and
// serves until ctx is done. Shutdown drains in order: inputs stop first
// (no new events), then the desk persists its state, then the journal and
// stores close.
func (a *App) Run(ctx context.Context) error {
	defer a.markStarted()
	p, err := a.build()
	if err != nil {
		return err
	}
	defer p.close()

	// The core outlives the inputs so that it can drain what they sent.
	coreCtx, stopCore := context.WithCancel(context.WithoutCancel(ctx))
	defer stopCore()
	core, coreCtx := errgroup.WithContext(coreCtx)
	p.pipe.ctx = coreCtx
	core.Go(func() error { return p.clock.Run(coreCtx) })
	core.Go(func() error { return p.desk.Run(coreCtx) })
	core.Go(func() error { return p.pages.Run(coreCtx) })
	rules := newRuleState(a.cfg.DataDir, p.pipe, p.desk.Checkpoint, a.log.With("component", "rules"))
	if err := a.replay(coreCtx, p, rules); err != nil {
		stopCore()
		_ = core.Wait()
		return err
	}
	if p.telemetry != nil {
		core.Go(func() error { return p.telemetry.Run(coreCtx) })
	}
	if p.webhook != nil {
		core.Go(func() error { return p.webhook.Run(coreCtx) })
	}
	if p.sms != nil {
		core.Go(func() error { return p.sms.Run(coreCtx) })
	}
	core.Go(func() error { return p.commands.Run(coreCtx) })
	core.Go(func() error { return p.broadcast.Run(coreCtx) })
	// Supervision resumes where it stopped: every device heard from before
	// is watched from its last sign of life.
	seen := newLastSeen(a.cfg.DataDir, p.tracker, a.log.With("component", "supervision"))
	last, err := seen.load()
	if err != nil {
		stopCore()
		_ = core.Wait()
		return a.errf("%w", err)
	}
	// Stamps of the last run, moved by a wall-clock step made while the
	// gateway was down: a clock stepped forward an hour must not make
	// every device look silent for an hour.
	for id, ms := range last {
		p.pipe.alive(id, time.UnixMilli(ms).Add(p.clock.Shift()))
	}
	core.Go(func() error { return p.pipe.supervise(coreCtx, p.journal, a.log.With("component", "supervision")) })
	core.Go(func() error { return seen.run(coreCtx) })
	core.Go(func() error { return rules.run(coreCtx) })
	ret := &retention{journal: p.journal, after: replayPoint(p.desk.Checkpoint, rules), every: retainEvery,
		policy: journal.Retention{MaxAge: a.cfg.Journal.MaxAge, MaxBytes: a.cfg.Journal.MaxBytes},
		log:    a.log.With("component", "journal")}
	core.Go(func() error { return ret.run(coreCtx) })
	a.mu.Lock()
	a.live = &live{pipe: p.pipe, rules: rules}
	a.mu.Unlock()

	inputs, inCtx := errgroup.WithContext(ctx)
	inputs.Go(func() error { return p.drivers.Run(inCtx) })
	inputs.Go(func() error { return p.transport.Run(inCtx) })
	inputs.Go(func() error { return p.http.Serve(inCtx, p.listener) })
	a.mu.Lock()
	a.httpAddr = p.listener.Addr()
	a.mu.Unlock()
	a.markStarted()
	a.log.Info("gridwatch serving", "site", a.cfg.Site, "http", p.listener.Addr().String(), "mqtt", a.transportName(),
		"devices", len(a.reg.Get().Devices()), "last_event", p.journal.LastID())

	inErr := inputs.Wait() // returns once ctx is done (or an input failed)
	stopCore()
	coreErr := core.Wait()
	rules.final()
	if inErr != nil && !errors.Is(inErr, context.Canceled) {
		return inErr
	}
	if coreErr != nil && !errors.Is(coreErr, context.Canceled) {
		return coreErr
	}
	a.log.Info("gridwatch stopped")
	return nil
}

// replay restores the rules' state from their snapshot and feeds them
// every journaled event after it, before any new input is taken: events
// the desk had already stored only rebuild the rules' windows, later ones
// go on to the desk. Pages it sends while the transport is not up yet
// fail and are retried by the desk.
func (a *App) replay(ctx context.Context, p *parts, rules *ruleState) error {
	settled, err := p.desk.WaitLoaded(ctx)
	if err != nil {
		return a.errf("escalation desk: %w", err)
	}
	after := rules.restore(settled, p.clock.Now())
	n := 0
	err = p.journal.Replay(after, func(ev event.Event) error {
		n++
		return p.pipe.apply(ev, ev.ID <= settled)
	})
	if err != nil {
		return a.errf("journal replay: %w", err)
	}
	if n > 0 {
		a.log.Info("replayed journal", "after", after, "desk_after", settled, "events", n)
	}
	return nil
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
