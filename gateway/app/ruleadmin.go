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
	"github.com/gridwatch/gridwatch/rules/rulefile"
	"github.com/gridwatch/gridwatch/rules/runner"
	"github.com/gridwatch/gridwatch/rules/silence"
)

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

func (a *App) current() (*runner.Runner, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.runner == nil {
		return nil, withStatus(http.StatusServiceUnavailable, "the gateway is still starting")
	}
	return a.runner, nil
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
// cases it carries against the file's fixture (the running registry
// when it has none), and swaps it in: the
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
	f, err := rulefile.Load(a.cfg.Rules)
	if err == nil {
		err = f.RunAll(engine.Cases(a.engineConfig(f)))
	}
	if err == nil {
		err = l.Reload(a.engineConfig(f)) // which asks for a snapshot of the new state
	}
	if err != nil {
		a.log.Error("rule reload refused; the running rules stay in force", "source", a.ruleSource(), "err", err)
		return httpapi.RuleSet{}, &statusError{code: http.StatusUnprocessableEntity, err: err}
	}
	a.mu.Lock()
	a.rules, a.rulesLoaded = f, time.Now()
	a.mu.Unlock()
	set := a.RuleSet()
	a.log.Info("rules reloaded", "source", set.Source, "rules", len(set.Rules), "tests", set.Tests)
	return set, nil
}

// engineConfig is how the rules of f are compiled, at start and on reload.
func (a *App) engineConfig(f *rulefile.File) engine.Config {
	cfg := engine.Config{Rules: f.Rules, Silences: f.Silences, Registry: a.reg.Get}
	if a.silences != nil {
		cfg.Operators = a.silences
	}
	return cfg
}

// openSilences reads the operators' silences from the alarm store, where
// each change is stored before the API answers. A silence that cannot be
// read is logged, not fatal: the gateway starts with every other one.
func (a *App) openSilences(store *alarm.Store, now func() time.Time) {
	a.silences = silence.New(silence.Config{Store: store, Registry: a.reg.Get, Declared: a.declaredSilence,
		Now: now, Logger: a.log.With("component", "silences")})
	if err := a.silences.Load(); err != nil {
		a.log.Error("operators' silences not all restored", "err", err)
	}
}

// declaredSilence reports whether id is a silence of the rule file in force.
func (a *App) declaredSilence(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.ContainsFunc(a.rules.Silences, func(s silence.Silence) bool { return s.ID == id })
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

// ruleAdmin serves the rule set and the silences to the HTTP API: a
// reload is checked and audited here; silences are the operators' set's
// (rules/silence), which checks, stores and audits them itself.
type ruleAdmin struct {
	app   *App
	store *alarm.Store
}

var _ httpapi.Rules = ruleAdmin{}

func (r ruleAdmin) RuleSet() httpapi.RuleSet { return r.app.RuleSet() }

func (r ruleAdmin) ReloadRules(_ context.Context, who permit.Caller) (httpapi.RuleSet, error) {
	if err := r.mayReload(who); err != nil {
		return httpapi.RuleSet{}, err
	}
	set, err := r.app.ReloadRules()
	rec := alarm.AuditRecord{Kind: alarm.AuditRules, By: who.ID, Action: "reload", Reason: set.Source}
	if err != nil {
		rec.Reason = "refused: " + err.Error()
	}
	r.audit(rec)
	return set, err
}

// Silences lists the rule file's silences, then the operators'.
func (r ruleAdmin) Silences() []httpapi.Silence {
	r.app.mu.Lock()
	declared := r.app.rules.Silences
	r.app.mu.Unlock()
	var out []httpapi.Silence
	for _, s := range slices.Concat(declared, r.app.silences.List()) {
		out = append(out, toAPISilence(s))
	}
	return out
}

func (r ruleAdmin) SetSilence(_ context.Context, s httpapi.Silence, who permit.Caller) (httpapi.Silence, error) {
	set, err := r.app.silences.Put(fromAPISilence(s), who)
	if err != nil {
		return httpapi.Silence{}, silenceStatus(err)
	}
	return toAPISilence(set), nil
}

func (r ruleAdmin) RemoveSilence(_ context.Context, id string, who permit.Caller) error {
	return silenceStatus(r.app.silences.Remove(id, who))
}

// silenceStatus gives an error of the operators' set its HTTP status.
func silenceStatus(err error) error {
	code := http.StatusInternalServerError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, silence.ErrForbidden):
		code = http.StatusForbidden
	case errors.Is(err, silence.ErrInvalid):
		code = http.StatusBadRequest
	case errors.Is(err, silence.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, silence.ErrDeclared):
		code = http.StatusConflict
	}
	return &statusError{code: code, err: err}
}

// mayReload checks the caller's role (the security room and the command
// centre change the rules); a refusal is audited.
func (r ruleAdmin) mayReload(who permit.Caller) error {
	err := permit.CheckRole(r.app.reg.Get(), who, permit.Rules)
	if err == nil {
		return nil
	}
	err = withStatus(http.StatusForbidden, "only the security room and the command centre may reload the rules: %v", err)
	r.audit(alarm.AuditRecord{Kind: alarm.AuditRefused, By: who.ID, Action: "reload the rules", Reason: err.Error()})
	return err
}

func (r ruleAdmin) audit(rec alarm.AuditRecord) {
	rec.At = time.Now().UnixMilli()
	if err := r.store.AppendAudit(rec); err != nil {
		r.app.log.Error("audit record not written", "kind", rec.Kind, "by", rec.By, "err", err)
	}
}

func toAPISilence(s silence.Silence) httpapi.Silence {
	out := httpapi.Silence{ID: s.ID, Reason: s.Reason, Devices: s.Devices, Grids: s.Grids, Rules: s.Rules,
		Test: s.Test, Sirens: s.Sirens, From: s.From, Until: s.Until, By: s.By}
	if !s.Set.IsZero() {
		out.SetMS = s.Set.UnixMilli()
	}
	if s.Every != nil {
		out.Every = &httpapi.Weekly{Weekdays: s.Every.Weekdays, From: s.Every.From, Until: s.Every.Until}
	}
	return out
}

func fromAPISilence(s httpapi.Silence) silence.Silence {
	out := silence.Silence{ID: s.ID, Reason: s.Reason, Devices: s.Devices, Grids: s.Grids, Rules: s.Rules,
		Test: s.Test, Sirens: s.Sirens, From: s.From, Until: s.Until}
	if s.Every != nil {
		out.Every = &silence.Weekly{Weekdays: s.Every.Weekdays, From: s.Every.From, Until: s.Every.Until}
	}
	return out
}
