package silence

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Store keeps operators' silences durably, each as its id and its JSON,
// together with the audit record of the change; *alarm.Store, the file
// that holds the emergency modes.
type Store interface {
	PutSilence(id string, doc []byte, rec alarm.AuditRecord) error
	DeleteSilence(id string, rec *alarm.AuditRecord) error
	SilenceDocs() ([][]byte, error)
	AppendAudit(rec alarm.AuditRecord) error
}

var _ Store = (*alarm.Store)(nil)

// Config is what New needs.
type Config struct {
	// Store keeps the silences; nil keeps them in memory only (a replay,
	// a rule file's test cases).
	Store Store
	// Registry is the current registry, for who may silence what; nil
	// refuses every Put and Remove.
	Registry func() *registry.Registry
	// Declared reports whether id names a silence of the rule file, which
	// operators may neither replace nor remove; nil means none.
	Declared func(id string) bool
	// Now is the wall clock; nil means time.Now.
	Now func() time.Time
	// Logger says what could not be recorded; nil discards.
	Logger *slog.Logger
}

// Set is the silences operators set at run time (maintenance windows,
// installers' test modes). A change is stored, with its audit record,
// before the call that makes it returns; the set is read back from the
// store at start, so a silence lives until its Until or until someone
// removes it, whatever happens to the rules' snapshot. A silence past its
// Until mutes nothing and is dropped from the store at the next change or
// start.
//
// A Set is safe for concurrent use; Matchers, which the rule engine asks
// on every raise, takes no lock.
type Set struct {
	cfg Config
	mu  sync.Mutex // serialises changes
	cur atomic.Pointer[[]*Matcher]
}

// MaxSilences bounds the silences a Set holds.
const MaxSilences = 10_000

// New makes an empty set; Load fills it from the store.
func New(cfg Config) *Set {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Set{cfg: cfg}
	s.cur.Store(new([]*Matcher))
	return s
}

// Load reads the stored silences into the set, replacing what it held,
// and drops from the store those that have ended. A stored silence that
// no longer passes Compile is an error: it is left in the store.
func (s *Set) Load() error {
	if s.cfg.Store == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	docs, err := s.cfg.Store.SilenceDocs()
	if err != nil {
		return fmt.Errorf("silences: %w", err)
	}
	var list []*Matcher
	var errs []error
	for _, doc := range docs {
		var sil Silence
		if err := json.Unmarshal(doc, &sil); err != nil {
			errs = append(errs, fmt.Errorf("stored silence: %w", err))
			continue
		}
		m, err := Compile(sil)
		if err != nil {
			errs = append(errs, fmt.Errorf("stored %w", err))
			continue
		}
		list = append(list, m)
	}
	slices.SortStableFunc(list, func(a, b *Matcher) int { return a.Set.Compare(b.Set) })
	s.cur.Store(&list)
	if err := s.prune(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("silences: %w", err)
	}
	return nil
}

// Matchers returns the silences in the set, ended ones included (a
// Matcher of an ended silence covers nothing). The slice is shared: do
// not change it.
func (s *Set) Matchers() []*Matcher { return *s.cur.Load() }

// List returns the silences in force or still to come, in the order they
// were set.
func (s *Set) List() []Silence {
	ms := s.cfg.Now().UnixMilli()
	var out []Silence
	for _, m := range s.Matchers() {
		if !m.Ended(ms) {
			out = append(out, m.Silence)
		}
	}
	return out
}

// Get returns the silence id, if the set holds it and it has not ended.
func (s *Set) Get(id string) (Silence, bool) {
	ms := s.cfg.Now().UnixMilli()
	for _, m := range s.Matchers() {
		if m.ID == id && !m.Ended(ms) {
			return m.Silence, true
		}
	}
	return Silence{}, false
}

// Add stores sil (replacing a silence of the same ID) and puts it in
// force, recording rec in the audit log with it. It checks sil as Compile
// does, not who sets it (see Put).
func (s *Set) Add(sil Silence, rec alarm.AuditRecord) error {
	m, err := Compile(sil)
	if err != nil {
		return &kindError{msg: err.Error(), kind: ErrInvalid}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.Matchers()
	i := slices.IndexFunc(cur, func(o *Matcher) bool { return o.ID == sil.ID })
	if i < 0 && len(cur) >= MaxSilences {
		return kinded(ErrInvalid, "silence %s: already %d silences", sil.ID, MaxSilences)
	}
	if s.cfg.Store != nil {
		doc, err := json.Marshal(m.Silence)
		if err != nil {
			return fmt.Errorf("silence %s: encode: %w", sil.ID, err)
		}
		if err := s.cfg.Store.PutSilence(sil.ID, doc, rec); err != nil {
			return fmt.Errorf("silence %s not set: %w", sil.ID, err)
		}
	}
	next := slices.Clone(cur)
	if i >= 0 {
		next[i] = m
	} else {
		next = append(next, m)
	}
	s.cur.Store(&next)
	if err := s.prune(); err != nil {
		return fmt.Errorf("silence %s set, but: %w", sil.ID, err)
	}
	return nil
}

// Delete removes the silence id from the store and from force, recording
// rec in the audit log with it; it reports whether the set held it.
func (s *Set) Delete(id string, rec alarm.AuditRecord) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.Matchers()
	i := slices.IndexFunc(cur, func(o *Matcher) bool { return o.ID == id })
	if i < 0 {
		return false, nil
	}
	if s.cfg.Store != nil {
		if err := s.cfg.Store.DeleteSilence(id, &rec); err != nil {
			return false, fmt.Errorf("silence %s not removed: %w", id, err)
		}
	}
	next := slices.Delete(slices.Clone(cur), i, i+1)
	s.cur.Store(&next)
	return true, nil
}

// Adopt takes in a silence that an earlier version kept only in the
// rules' snapshot (rules.state): unless the set already holds one of its
// ID, it is stored and put in force, and the audit log says so. An ended
// silence is ignored.
func (s *Set) Adopt(sil Silence) error {
	if m, err := Compile(sil); err == nil && m.Ended(s.cfg.Now().UnixMilli()) {
		return nil
	}
	if slices.ContainsFunc(s.Matchers(), func(o *Matcher) bool { return o.ID == sil.ID }) {
		return nil
	}
	return s.Add(sil, alarm.AuditRecord{At: s.cfg.Now().UnixMilli(), Kind: alarm.AuditSilence, By: sil.By,
		Action: "silence_restored", Reason: sil.ID + ": " + sil.Reason + " (from the rules' snapshot of an earlier version)"})
}

// prune drops the silences that have ended, from the store first.
// s.mu is held.
func (s *Set) prune() error {
	ms := s.cfg.Now().UnixMilli()
	cur := s.Matchers()
	if !slices.ContainsFunc(cur, func(m *Matcher) bool { return m.Ended(ms) }) {
		return nil
	}
	next := make([]*Matcher, 0, len(cur))
	var errs []error
	for _, m := range cur {
		if !m.Ended(ms) {
			next = append(next, m)
			continue
		}
		if s.cfg.Store != nil {
			if err := s.cfg.Store.DeleteSilence(m.ID, nil); err != nil {
				errs = append(errs, err)
				next = append(next, m) // tried again at the next change
			}
		}
	}
	s.cur.Store(&next)
	return errors.Join(errs...)
}
