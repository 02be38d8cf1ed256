package silence

import (
	"errors"
	"fmt"

	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Errors Put and Remove wrap, for the HTTP API to tell apart.
var (
	// ErrForbidden: the caller may not set or remove this silence.
	ErrForbidden = errors.New("forbidden")
	// ErrInvalid: the silence has a problem, or names an unknown device
	// or grid, or the set is full.
	ErrInvalid = errors.New("invalid silence")
	// ErrDeclared: the silence is the rule file's; change it there.
	ErrDeclared = errors.New("declared in the rule file")
	// ErrNotFound: no such silence.
	ErrNotFound = errors.New("no such silence")
)

// Put sets sil for who (its By and Set are filled in here): who must be
// allowed permit.Silence (the security room or the command centre) over
// everything sil covers — each of its cells, each of its devices' cells,
// and the whole site for a silence by rule alone. A refusal is recorded
// in the audit log; so is the silence, with it, once stored. It returns
// the silence as set.
func (s *Set) Put(sil Silence, who permit.Caller) (Silence, error) {
	if err := s.may(who, "set silences"); err != nil {
		return Silence{}, err
	}
	if err := s.mayCover(who, sil); err != nil {
		return Silence{}, err
	}
	if s.declared(sil.ID) {
		return Silence{}, kinded(ErrDeclared, "silence %s is declared in the rule file; change it there", sil.ID)
	}
	now := s.cfg.Now()
	sil.By, sil.Set = who.ID, now
	rec := alarm.AuditRecord{At: now.UnixMilli(), Kind: alarm.AuditSilence, By: who.ID, Action: "silence_set",
		Reason: sil.ID + ": " + sil.Reason}
	if err := s.Add(sil, rec); err != nil {
		return Silence{}, err
	}
	out, _ := s.Get(sil.ID)
	if out.ID == "" {
		out = sil // ended as soon as set: it covers nothing, and is gone
	}
	return out, nil
}

// Remove lifts the silence id for who, under the rules of Put; the
// removal is recorded in the audit log with it.
func (s *Set) Remove(id string, who permit.Caller) error {
	if err := s.may(who, "remove silences"); err != nil {
		return err
	}
	if s.declared(id) {
		return kinded(ErrDeclared, "silence %s is declared in the rule file; remove it there", id)
	}
	sil, ok := s.Get(id)
	if !ok {
		return kinded(ErrNotFound, "no silence %q", id)
	}
	if err := s.mayCover(who, sil); err != nil {
		return err
	}
	rec := alarm.AuditRecord{At: s.cfg.Now().UnixMilli(), Kind: alarm.AuditSilence, By: who.ID, Action: "silence_removed", Reason: id}
	found, err := s.Delete(id, rec)
	if err != nil {
		return err
	}
	if !found {
		return kinded(ErrNotFound, "no silence %q", id) // removed meanwhile
	}
	return nil
}

// kindError is an error of one of the kinds above: its message is its
// own, and errors.Is finds the kind.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func kinded(kind error, format string, args ...any) error {
	return &kindError{msg: fmt.Sprintf(format, args...), kind: kind}
}

func (s *Set) declared(id string) bool { return s.cfg.Declared != nil && s.cfg.Declared(id) }

func (s *Set) registry() *registry.Registry {
	if s.cfg.Registry == nil {
		return registry.Empty()
	}
	return s.cfg.Registry()
}

// may checks the caller's role; a refusal is audited.
func (s *Set) may(who permit.Caller, what string) error {
	err := permit.CheckRole(s.registry(), who, permit.Silence)
	if err == nil {
		return nil
	}
	err = kinded(ErrForbidden, "only the security room and the command centre may %s: %v", what, err)
	s.refused(alarm.AuditRecord{By: who.ID, Action: what, Reason: err.Error()})
	return err
}

// mayCover checks that sil covers only what who serves.
func (s *Set) mayCover(who permit.Caller, sil Silence) error {
	reg := s.registry()
	scopes := append([]string(nil), sil.Grids...)
	for _, id := range sil.Devices {
		d, ok := reg.Device(id)
		if !ok {
			return kinded(ErrInvalid, "silence %s: unknown device %q", sil.ID, id)
		}
		scopes = append(scopes, d.Grid)
	}
	if len(scopes) == 0 {
		scopes = []string{""} // by rule only: the whole site
	}
	for _, sc := range scopes {
		if sc != "" {
			if _, ok := reg.Grid(sc); !ok {
				return kinded(ErrInvalid, "silence %s: unknown grid %q", sil.ID, sc)
			}
		}
		if err := permit.Check(reg, who, permit.Silence, permit.Target{Grid: sc}); err != nil {
			err = kinded(ErrForbidden, "silence %s covers %s: %v", sil.ID, orSite(sc), err)
			s.refused(alarm.AuditRecord{By: who.ID, Action: "silence", Grid: sc, Reason: err.Error()})
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

// refused records a refusal in the audit log, if there is a store; a
// record that cannot be written is logged, and the refusal stands.
func (s *Set) refused(rec alarm.AuditRecord) {
	if s.cfg.Store == nil {
		return
	}
	rec.At, rec.Kind = s.cfg.Now().UnixMilli(), alarm.AuditRefused
	if err := s.cfg.Store.AppendAudit(rec); err != nil {
		s.cfg.Logger.Error("audit record not written", "kind", rec.Kind, "by", rec.By, "err", err)
	}
}
