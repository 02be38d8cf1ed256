package escalate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// ErrUnknownGrid is returned (wrapped) by SetEmergency for a scope that is
// neither "" (the whole site) nor a grid cell of the registry.
var ErrUnknownGrid = errors.New("no such grid cell")

type emergRequest struct {
	scope string
	on    bool
	who   permit.Caller
	reply chan error // buffered: the desk never waits for the caller
}

// SetEmergency switches emergency mode (扁平化) on or off for a grid
// subtree (scope is its root cell) or, with scope "", the whole site.
// While it is on, every escalation step of every open alarm in the subtree
// goes out at once, for alarms already open (their remaining steps fire
// now, not marked late) and new ones alike. The switch is stored (it
// survives a restart) and audited together.
//
// who must be allowed permit.Emergency over scope (the security room or
// the command centre serving it; for the whole site, every root cell);
// otherwise the error wraps ErrForbidden and the refusal is audited.
func (d *Desk) SetEmergency(ctx context.Context, scope string, on bool, who permit.Caller) error {
	req := emergRequest{scope: scope, on: on, who: who, reply: make(chan error, 1)}
	select {
	case d.emerg <- req:
	case <-d.done:
		return ErrStopped
	case <-ctx.Done():
		return fmt.Errorf("emergency %q: %w", req.scope, ctx.Err())
	}
	select {
	case err := <-req.reply:
		return err
	case <-d.done:
		return ErrStopped
	case <-ctx.Done():
		return fmt.Errorf("emergency %q: %w", req.scope, ctx.Err())
	}
}

// Emergencies returns the scopes whose emergency mode is on.
func (d *Desk) Emergencies() ([]alarm.Emergency, error) {
	return d.cfg.Store.Emergencies()
}

// AuditLog returns up to limit audit records at or after sinceMS, oldest
// first: refused actions and emergency switches.
func (d *Desk) AuditLog(sinceMS int64, limit int) ([]alarm.AuditRecord, error) {
	return d.cfg.Store.AuditLog(sinceMS, limit)
}

// MayOversee reports whether a caller may read the audit log
// (permit.Audit: the security room and the command centre).
func (d *Desk) MayOversee(who permit.Caller) bool {
	return permit.Check(d.registry(), who, permit.Audit, permit.Target{}) == nil
}

// setEmergency applies a switch in the desk goroutine.
func (o *owner) setEmergency(r emergRequest) error {
	reg := o.d.registry()
	if _, ok := reg.Grid(r.scope); r.scope != alarm.SiteScope && !ok {
		return fmt.Errorf("emergency %q: %w", r.scope, ErrUnknownGrid)
	}
	action := "emergency_off"
	if r.on {
		action = "emergency_on"
	}
	now := o.d.cfg.Now()
	by := r.who.ID
	if err := permit.Check(reg, r.who, permit.Emergency, permit.Target{Grid: r.scope}); err != nil {
		err = fmt.Errorf("emergency %q: %v: %w", r.scope, err, ErrForbidden)
		o.audit(alarm.AuditRecord{At: now.UnixMilli(), Kind: alarm.AuditRefused, By: by,
			Action: action, Grid: r.scope, Reason: err.Error()})
		return err
	}
	e := alarm.Emergency{Scope: r.scope, On: r.on, By: by, At: now.UnixMilli()}
	rec := alarm.AuditRecord{At: e.At, Kind: alarm.AuditEmergency, By: by, Action: action, Grid: r.scope}
	if err := o.d.cfg.Store.SetEmergency(e, rec); err != nil {
		return fmt.Errorf("escalation desk: %w", err)
	}
	if r.on {
		o.emergency[r.scope] = e
	} else {
		delete(o.emergency, r.scope)
	}
	o.d.log.Warn("emergency mode switched", "scope", r.scope, "on", r.on, "by", by)
	if f := o.d.cfg.OnEmergency; f != nil {
		on := slices.SortedFunc(maps.Values(o.emergency), func(a, b alarm.Emergency) int { return cmp.Compare(a.Scope, b.Scope) })
		f(e, on)
	}
	if r.on {
		for _, a := range o.open {
			if a.Escalating() && o.inEmergency(reg, a) && o.advance(a, now) {
				o.changed(a)
			}
		}
		o.saveNow()
	}
	return nil
}

// inEmergency reports whether the alarm lies in a scope in emergency mode.
func (o *owner) inEmergency(reg *registry.Registry, a *alarm.Alarm) bool {
	for scope := range o.emergency {
		if scope == alarm.SiteScope || reg.InSubtree(a.Grid, scope) {
			return true
		}
	}
	return false
}

// audit appends a record to the audit log; a failure is logged and counted.
func (o *owner) audit(rec alarm.AuditRecord) {
	if err := o.d.cfg.Store.AppendAudit(rec); err != nil {
		o.d.m.storeErrors.Inc()
		o.d.log.Error("audit record lost", "record", rec, "err", err)
	}
}
