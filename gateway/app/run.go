package app

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/gridwatch/gridwatch/gateway/journal"
	"github.com/gridwatch/gridwatch/rules/escalate"
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
	core.Go(func() error { return p.clock.Run(coreCtx) })
	core.Go(func() error { return p.desk.Run(coreCtx) })
	core.Go(func() error { return p.pages.Run(coreCtx) })
	// The rules replay what they had not applied before any new input is
	// taken. Pages they send while the transport is not up yet fail and
	// are retried by the desk.
	core.Go(func() error { return p.rules.Run(coreCtx) })
	select {
	case <-p.rules.Replayed():
	case <-coreCtx.Done():
		stopCore()
		return a.errf("%w", core.Wait())
	}
	if p.telemetry != nil {
		core.Go(func() error { return p.telemetry.Run(coreCtx) })
	}
	if p.uplink != nil {
		a.syncUplink(p)
		core.Go(func() error { return p.uplink.Run(coreCtx) })
	}
	if p.webhook != nil {
		core.Go(func() error { return p.webhook.Run(coreCtx) })
	}
	if p.sms != nil {
		core.Go(func() error { return p.sms.Run(coreCtx) })
	}
	core.Go(func() error { return p.commands.Run(coreCtx) })
	core.Go(func() error { return p.clips.Run(coreCtx) })
	core.Go(func() error { return p.broadcast.Run(coreCtx) })
	core.Go(func() error { return p.commission.Run(coreCtx) }) // the sessions' live view
	core.Go(func() error { return p.thresholds.Run(coreCtx, p.journal) })
	ret := &retention{journal: p.journal, after: p.rules.ReplayPoint, every: retainEvery,
		policy: journal.Retention{MaxAge: a.cfg.Journal.MaxAge, MaxBytes: a.cfg.Journal.MaxBytes},
		log:    a.log.With("component", "journal")}
	core.Go(func() error { return ret.run(coreCtx) })
	a.mu.Lock()
	a.runner = p.rules
	a.mu.Unlock()

	inputs, inCtx := errgroup.WithContext(ctx)
	inputs.Go(func() error { return p.drivers.Run(inCtx) })
	inputs.Go(func() error { return p.transport.Run(inCtx) })
	inputs.Go(func() error { showBoardWhenUp(inCtx, p.transport.Ready, p.desk); return nil })
	inputs.Go(func() error { return p.http.Serve(inCtx, p.listener) })
	a.mu.Lock()
	a.httpAddr = p.listener.Addr()
	a.mu.Unlock()
	a.markStarted()
	a.log.Info("gridwatch serving", "site", a.cfg.Site, "http", p.listener.Addr().String(), "mqtt", a.transportName(),
		"devices", len(a.reg.Get().Devices()), "last_event", p.journal.LastID())

	inErr := inputs.Wait() // returns once ctx is done (or an input failed)
	// The rules hand the desk what was accepted before the inputs stopped.
	drain, stopDrain := context.WithTimeout(coreCtx, drainWait)
	if err := p.rules.CatchUp(drain); err != nil {
		a.log.Warn("rules stopped behind the journal; the rest is applied at the next start", "err", err)
	}
	stopDrain()
	stopCore()
	coreErr := core.Wait()
	p.rules.SaveFinal()
	if inErr != nil && !errors.Is(inErr, context.Canceled) {
		return inErr
	}
	if coreErr != nil && !errors.Is(coreErr, context.Canceled) {
		return coreErr
	}
	a.log.Info("gridwatch stopped")
	return nil
}

// showBoardWhenUp shows the alarm board afresh once the transport serves
// (escalate.Desk.ResyncBoard): updates the desk sent before it was up
// (replay, steps that fell due while the gateway was down), and those the
// embedded broker's store lost in a crash (it writes the board behind),
// are put right.
func showBoardWhenUp(ctx context.Context, ready func() error, desk *escalate.Desk) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for ready() != nil {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
	desk.ResyncBoard()
}

// drainWait bounds how long a stop waits for the rules to catch up with
// the journal.
const drainWait = 5 * time.Second

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
