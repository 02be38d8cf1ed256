package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gridwatch/gridwatch/gateway/httpapi"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/gridwatch/gridwatch/rules/engine"
)

// live is the running gateway's rule side, for reloads and the API; Run
// sets it once the rules are restored.
type live struct {
	pipe  *pipeline
	rules *ruleState
}

// statusError is an error that tells the HTTP API its status.
type statusError struct {
	code int
	err  error
}

func (e *statusError) Error() string   { return e.err.Error() }
func (e *statusError) Unwrap() error   { return e.err }
func (e *statusError) HTTPStatus() int { return e.code }

func withStatus(code int, format string, args ...any) error {
	return &statusError{code: code, err: fmt.Errorf(format, args...)}
}

func (a *App) current() (*live, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.live == nil {
		return nil, withStatus(http.StatusServiceUnavailable, "the gateway is still starting")
	}
	return a.live, nil
}

// Reload re-reads the registry and then the rule file (on SIGHUP). Each
// is refused on its own with every problem logged, its running version
// staying in force; the errors are joined.
func (a *App) Reload() error {
	var errs []error
	if a.registry != "" {
		errs = append(errs, a.ReloadRegistry())
	}
	if a.cfg.Rules != "" {
		_, err := a.ReloadRules()
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ReloadRules re-reads the configured rule file, checks it, runs the test
// cases it carries against the running registry, and swaps it in: the
// windows, sequences and supervision of rules whose definition did not
// change carry over. A file with any problem, or whose own tests fail, is
// refused whole and the running rules stay in force. With the built-in
// rules there is nothing to re-read; the set is recompiled as it is.
func (a *App) ReloadRules() (httpapi.RuleSet, error) {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	l, err := a.current()
	if err != nil {
		a.log.Error("rule reload refused", "err", err)
		return httpapi.RuleSet{}, err
	}
	f, err := loadRules(a.cfg.Rules)
	if err == nil {
		err = a.runCases(f)
	}
	if err == nil {
		err = l.pipe.reload(a.engineConfig(f))
	}
	if err != nil {
		a.log.Error("rule reload refused; the running rules stay in force", "source", a.ruleSource(), "err", err)
		return httpapi.RuleSet{}, &statusError{code: http.StatusUnprocessableEntity, err: err}
	}
	a.mu.Lock()
	a.rules, a.rulesLoaded = f, time.Now()
	a.mu.Unlock()
	l.rules.request()
	set := a.RuleSet()
	a.log.Info("rules reloaded", "source", set.Source, "rules", len(set.Rules), "tests", set.Tests)
	return set, nil
}

// engineConfig is how the rules of f are compiled, at start and on reload.
func (a *App) engineConfig(f *engine.File) engine.Config {
	return engine.Config{Rules: f.Rules, Silences: f.Silences, Registry: a.reg.Get}
}

// runCases runs the file's own test cases against the running registry.
func (a *App) runCases(f *engine.File) error {
	var errs []error
	for _, c := range f.Tests {
		if err := f.Run(c, a.engineConfig(f)); err != nil {
			errs = append(errs, fmt.Errorf("test case %s failed: %w", c.Name, err))
		}
	}
	return errors.Join(errs...)
}

// RuleSet describes the rules in force.
func (a *App) RuleSet() httpapi.RuleSet {
	a.mu.Lock()
	f, at := a.rules, a.rulesLoaded
	a.mu.Unlock()
	set := httpapi.RuleSet{Source: a.ruleSource(), LoadedMS: at.UnixMilli(), Tests: len(f.Tests), Rules: make([]string, 0, len(f.Rules))}
	for _, r := range f.Rules {
		set.Rules = append(set.Rules, r.ID)
	}
	return set
}

func (a *App) ruleSource() string {
	if a.cfg.Rules == "" {
		return "built-in"
	}
	return a.cfg.Rules
}

// ruleAdmin serves the rule set and the silences to the HTTP API,
// checking who asks and writing what they did to the audit log.
type ruleAdmin struct {
	app   *App
	store *alarm.Store
}

var _ httpapi.Rules = ruleAdmin{}

func (r ruleAdmin) RuleSet() httpapi.RuleSet { return r.app.RuleSet() }

func (r ruleAdmin) ReloadRules(_ context.Context, who permit.Caller) (httpapi.RuleSet, error) {
	by := who.ID
	if err := r.may(who, permit.Rules, "reload the rules"); err != nil {
		return httpapi.RuleSet{}, err
	}
	set, err := r.app.ReloadRules()
	rec := alarm.AuditRecord{Kind: alarm.AuditRules, By: by, Action: "reload", Reason: set.Source}
	if err != nil {
		rec.Reason = "refused: " + err.Error()
	}
	r.audit(rec)
	return set, err
}

func (r ruleAdmin) Silences() []httpapi.Silence {
	l, err := r.app.current()
	if err != nil {
		return nil
	}
	var out []httpapi.Silence
	for _, s := range l.pipe.silences() {
		out = append(out, toAPISilence(s))
	}
	return out
}

func (r ruleAdmin) SetSilence(ctx context.Context, s httpapi.Silence, who permit.Caller) (httpapi.Silence, error) {
	by := who.ID
	l, err := r.app.current()
	if err != nil {
		return httpapi.Silence{}, err
	}
	if err := r.may(who, permit.Silence, "set silences"); err != nil {
		return httpapi.Silence{}, err
	}
	if err := r.mayCover(who, s); err != nil {
		return httpapi.Silence{}, err
	}
	if r.fromFile(s.ID) {
		return httpapi.Silence{}, withStatus(http.StatusConflict, "silence %s is declared in the rule file; change it there", s.ID)
	}
	es := fromAPISilence(s)
	es.By, es.Set = by, time.Now()
	if err := l.pipe.addSilence(es); err != nil {
		return httpapi.Silence{}, withStatus(http.StatusBadRequest, "%v", err)
	}
	r.audit(alarm.AuditRecord{Kind: alarm.AuditSilence, By: by, Action: "silence_set", Reason: s.ID + ": " + s.Reason})
	if err := l.rules.save(ctx); err != nil {
		r.app.log.Warn("silence in force but not yet stored; the next snapshot stores it", "silence", s.ID, "err", err)
	}
	return toAPISilence(es), nil
}

func (r ruleAdmin) RemoveSilence(ctx context.Context, id string, who permit.Caller) error {
	by := who.ID
	l, err := r.app.current()
	if err != nil {
		return err
	}
	if err := r.may(who, permit.Silence, "remove silences"); err != nil {
		return err
	}
	if r.fromFile(id) {
		return withStatus(http.StatusConflict, "silence %s is declared in the rule file; remove it there", id)
	}
	var found *engine.Silence
	for _, s := range l.pipe.silences() {
		if s.ID == id {
			found = &s
		}
	}
	if found == nil {
		return withStatus(http.StatusNotFound, "no silence %q", id)
	}
	if err := r.mayCover(who, toAPISilence(*found)); err != nil {
		return err
	}
	l.pipe.removeSilence(id)
	r.audit(alarm.AuditRecord{Kind: alarm.AuditSilence, By: by, Action: "silence_removed", Reason: id})
	if err := l.rules.save(ctx); err != nil {
		r.app.log.Warn("silence removed but not yet stored; the next snapshot stores it", "silence", id, "err", err)
	}
	return nil
}

// may checks the caller's role for a (the security room and the command
// centre change the rules); a refusal is audited.
func (r ruleAdmin) may(who permit.Caller, a permit.Action, what string) error {
	err := permit.CheckRole(r.app.reg.Get(), who, a)
	if err == nil {
		return nil
	}
	err = withStatus(http.StatusForbidden, "only the security room and the command centre may %s: %v", what, err)
	r.audit(alarm.AuditRecord{Kind: alarm.AuditRefused, By: who.ID, Action: what, Reason: err.Error()})
	return err
}

// mayCover checks that a silence covers only what who serves: its cells,
// its devices' cells, and the whole site for a silence by rule alone.
func (r ruleAdmin) mayCover(who permit.Caller, s httpapi.Silence) error {
	reg := r.app.reg.Get()
	var scopes []string
	scopes = append(scopes, s.Grids...)
	for _, id := range s.Devices {
		d, ok := reg.Device(id)
		if !ok {
			return withStatus(http.StatusBadRequest, "silence %s: unknown device %q", s.ID, id)
		}
		scopes = append(scopes, d.Grid)
	}
	if len(scopes) == 0 {
		scopes = []string{""} // by rule only: the whole site
	}
	for _, sc := range scopes {
		if sc != "" {
			if _, ok := reg.Grid(sc); !ok {
				return withStatus(http.StatusBadRequest, "silence %s: unknown grid %q", s.ID, sc)
			}
		}
		if err := permit.Check(reg, who, permit.Silence, permit.Target{Grid: sc}); err != nil {
			err := withStatus(http.StatusForbidden, "silence %s covers %s: %v", s.ID, orSite(sc), err)
			r.audit(alarm.AuditRecord{Kind: alarm.AuditRefused, By: who.ID, Action: "silence", Grid: sc, Reason: err.Error()})
			return err
		}
	}
	return nil
}

func orSite(grid string) string {
	if grid == "" {
		return "the whole site"
	}
	return "the subtree of " + grid
}

func (r ruleAdmin) fromFile(id string) bool {
	r.app.mu.Lock()
	defer r.app.mu.Unlock()
	return slices.ContainsFunc(r.app.rules.Silences, func(s engine.Silence) bool { return s.ID == id })
}

func (r ruleAdmin) audit(rec alarm.AuditRecord) {
	rec.At = time.Now().UnixMilli()
	if err := r.store.AppendAudit(rec); err != nil {
		r.app.log.Error("audit record not written", "kind", rec.Kind, "by", rec.By, "err", err)
	}
}

func toAPISilence(s engine.Silence) httpapi.Silence {
	out := httpapi.Silence{ID: s.ID, Reason: s.Reason, Devices: s.Devices, Grids: s.Grids, Rules: s.Rules,
		Test: s.Test, From: s.From, Until: s.Until, By: s.By}
	if !s.Set.IsZero() {
		out.SetMS = s.Set.UnixMilli()
	}
	if s.Every != nil {
		out.Every = &httpapi.Weekly{Weekdays: s.Every.Weekdays, From: s.Every.From, Until: s.Every.Until}
	}
	return out
}

func fromAPISilence(s httpapi.Silence) engine.Silence {
	out := engine.Silence{ID: s.ID, Reason: s.Reason, Devices: s.Devices, Grids: s.Grids, Rules: s.Rules,
		Test: s.Test, From: s.From, Until: s.Until}
	if s.Every != nil {
		out.Every = &engine.Weekly{Weekdays: s.Every.Weekdays, From: s.Every.From, Until: s.Every.Until}
	}
	return out
}

// silences, addSilence and removeSilence reach the engine's silences
// under the pipeline's lock.
func (p *pipeline) silences() []engine.Silence {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.engine.Silences()
}

func (p *pipeline) addSilence(s engine.Silence) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.engine.AddSilence(s)
}

func (p *pipeline) removeSilence(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.engine.RemoveSilence(id)
}
