package app

import (
	"context"
	"fmt"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/engine"
	"github.com/gridwatch/gridwatch/rules/escalate"
)

// pipeline takes durable events, in journal order, through the rules to
// the escalation desk. The journal calls feed from its commit path, one
// batch at a time, so the desk sees events in strictly increasing ID
// order and can keep "last applied ID" as its restart checkpoint.
type pipeline struct {
	ctx    context.Context
	reg    func() *registry.Registry
	engine *engine.Engine
	desk   *escalate.Desk
}

func (p *pipeline) feed(batch []event.Event) {
	for _, ev := range batch {
		if err := p.apply(ev); err != nil {
			// Only a stopping gateway gets here; the event is in the
			// journal and is replayed at the next start.
			return
		}
	}
}

func (p *pipeline) apply(ev event.Event) error {
	reg := p.reg()
	dev, ok := reg.Device(ev.Device)
	if !ok {
		// Removed from the registry since it was journaled: nothing to decide.
		return p.desk.Submit(p.ctx, ev, nil)
	}
	grid, _ := reg.Grid(dev.Grid)
	triggers := p.engine.Evaluate(&ev, dev, grid)
	if err := p.desk.Submit(p.ctx, ev, triggers); err != nil {
		return fmt.Errorf("submit event %d: %w", ev.ID, err)
	}
	return nil
}
