package commission

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridwatch/gridwatch/internal/atomicfile"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// Errors of the service; the API maps them to HTTP statuses.
var (
	ErrNotFound  = errors.New("no such commissioning session")
	ErrForbidden = errors.New("forbidden")
	ErrBadScope  = errors.New("bad commissioning scope")
	ErrBusy      = errors.New("device already in a live commissioning session")
)

// Session limits.
const (
	DefaultDuration = time.Hour
	MaxDuration     = 12 * time.Hour
	// keptEnded is how many ended sessions are kept for their reports.
	keptEnded = 20
)

// TestMode puts devices into the rules' installer test mode until a time
// and takes them out (a test silence in production).
type TestMode interface {
	Start(id string, devices []string, until time.Time, who permit.Caller) error
	Stop(id string, who permit.Caller) error
	// Release takes devices of session id out of its test mode (they
	// passed: back in service); nothing if the test mode has ended.
	Release(id string, devices []string) error
}

// Config configures a Service. Path, Registry and TestMode are required.
type Config struct {
	// Path is the file the sessions are kept in.
	Path     string
	Registry func() *registry.Registry
	TestMode TestMode
	// Ranges are the telemetry ranges (nil: DefaultRanges).
	Ranges map[string]Range
	// OnChange, if set, is given the live view of a session that changed,
	// by Run, at most every LiveEvery: a change after a quiet spell at
	// once, a burst of changes (a whole site walked) as one view per
	// LiveEvery, the last change always. It must not block; the view's
	// devices are shared with later views and must not be modified.
	OnChange func(Session)
	Now      func() time.Time
	Logger   *slog.Logger
}

// Request is what a session covers: devices by id, the devices of a
// grid's subtree, or the whole site (Site).
type Request struct {
	Devices  []string      `json:"devices,omitempty"`
	Grid     string        `json:"grid,omitempty"`
	Site     bool          `json:"site,omitempty"`
	Duration time.Duration `json:"-"`
	Reason   string        `json:"reason,omitempty"`
}

// Session is one commissioning session and its progress.
type Session struct {
	ID        string             `json:"id"`
	By        string             `json:"by"`
	Reason    string             `json:"reason,omitempty"`
	Grid      string             `json:"grid,omitempty"`
	StartedMS int64              `json:"started_ms"`
	ExpiresMS int64              `json:"expires_ms"`
	EndedMS   int64              `json:"ended_ms,omitempty"`
	EndReason string             `json:"end_reason,omitempty"` // ended, expired
	Devices   map[string]*Device `json:"devices"`
	// Summary counts the devices by outcome.
	Summary map[string]int `json:"summary"`
	// Version grows with every change, so a live view that may get
	// updates out of order keeps the newest.
	Version uint64 `json:"version"`

	// views are the judged copies of the devices that have not changed
	// since their copy was made, for final (ended) or live judging: a
	// view copies only what changed, not the whole site per change.
	views      map[string]*Device
	viewsFinal bool
	// raw is an ended session as written to the file (it no longer
	// changes), so progress saves do not encode it again.
	raw []byte
}

// Live reports whether s has not ended.
func (s *Session) Live() bool { return s.EndedMS == 0 }

// Service keeps the sessions.
type Service struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	sessions map[string]*Session
	byDevice map[string]*Session // live sessions' devices
	// inSessions is len(byDevice), read without the lock: while no session
	// is live, ingest's calls cost an atomic load.
	inSessions atomic.Int64
	// savedMS is when progress was last written; progress is written at
	// most once a second, without fsync, so ingest never waits on a disk.
	savedMS int64
	dirty   bool
	// pending are the sessions changed since Run last gave OnChange
	// their view; wake tells Run.
	pending map[string]bool
	wake    chan struct{}
	// releases are the devices that passed, by session, that Run has
	// still to take out of test mode (a disk write: not on ingest's path).
	releases map[string][]string
	// tm serialises the calls of TestMode, so that a release cannot put
	// back a test mode that an end has just lifted. Order: mu, then tm.
	tm sync.Mutex
}

// Open reads the sessions kept at cfg.Path and ends those that expired
// while the gateway was down (taking their devices out of test mode).
func Open(cfg Config) (*Service, error) {
	if cfg.Path == "" || cfg.Registry == nil || cfg.TestMode == nil {
		return nil, errors.New("commission: Path, Registry and TestMode are required")
	}
	if cfg.Ranges == nil {
		cfg.Ranges = DefaultRanges
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg, log: cfg.Logger, sessions: map[string]*Session{}, byDevice: map[string]*Session{},
		pending: map[string]bool{}, wake: make(chan struct{}, 1), releases: map[string][]string{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	raw, err := os.ReadFile(cfg.Path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("commission: %w", err)
	default:
		var kept []*Session
		if err := json.Unmarshal(raw, &kept); err != nil {
			// The gateway starts all the same: the sessions' test modes
			// end by themselves; only their progress is lost.
			aside := cfg.Path + ".unreadable"
			s.log.Error("commissioning sessions unreadable; set aside, starting with none", "path", cfg.Path, "aside", aside, "err", err)
			if rerr := os.Rename(cfg.Path, aside); rerr != nil {
				return nil, fmt.Errorf("commission: %s unreadable (%v) and not set aside: %w", cfg.Path, err, rerr)
			}
			kept = nil
		}
		for _, ss := range kept {
			s.sessions[ss.ID] = ss
			if ss.Live() {
				for id, d := range ss.Devices {
					s.byDevice[id] = ss
					if d.Released { // again: the gateway may have stopped before
						s.releases[ss.ID] = append(s.releases[ss.ID], id)
					}
				}
			}
		}
		if len(s.releases) > 0 {
			s.wake <- struct{}{}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inSessions.Store(int64(len(s.byDevice)))
	s.expireLocked(cfg.Now())
	return s, nil
}

// Start opens a session for who over req, after checking that they may
// commission every cell it covers, and puts its devices into test mode.
func (s *Service) Start(req Request, who permit.Caller) (Session, error) {
	reg := s.cfg.Registry()
	devs, err := scope(reg, req)
	if err != nil {
		return Session{}, err
	}
	for _, d := range devs {
		if err := permit.Check(reg, who, permit.Commission, permit.Target{Grid: d.Grid}); err != nil {
			return Session{}, fmt.Errorf("%w: %v", ErrForbidden, err)
		}
	}
	dur := req.Duration
	if dur <= 0 {
		dur = DefaultDuration
	}
	if dur > MaxDuration {
		return Session{}, fmt.Errorf("%w: duration %s is over %s", ErrBadScope, dur, MaxDuration)
	}
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(now)
	for _, d := range devs {
		if other, busy := s.byDevice[d.ID]; busy {
			return Session{}, fmt.Errorf("%w: %s is in session %s", ErrBusy, d.ID, other.ID)
		}
	}
	ss := &Session{ID: newID(now), By: who.ID, Reason: req.Reason, Grid: req.Grid, StartedMS: now.UnixMilli(),
		ExpiresMS: now.Add(dur).UnixMilli(), Devices: map[string]*Device{}}
	ids := make([]string, 0, len(devs))
	for _, d := range devs {
		ss.Devices[d.ID] = newDevice(d, expectedFor(reg, d))
		ids = append(ids, d.ID)
	}
	s.tm.Lock()
	err = s.cfg.TestMode.Start(ss.ID, ids, now.Add(dur), who)
	s.tm.Unlock()
	if err != nil {
		return Session{}, fmt.Errorf("commission: test mode: %w", err)
	}
	s.sessions[ss.ID] = ss
	for _, id := range ids {
		s.byDevice[id] = ss
	}
	s.inSessions.Store(int64(len(s.byDevice)))
	if err := s.saveLocked(true); err != nil {
		s.tm.Lock()
		_ = s.cfg.TestMode.Stop(ss.ID, who)
		s.tm.Unlock()
		delete(s.sessions, ss.ID)
		for _, id := range ids {
			delete(s.byDevice, id)
		}
		s.inSessions.Store(int64(len(s.byDevice)))
		return Session{}, err
	}
	s.log.Info("commissioning session started", "session", ss.ID, "by", who.ID, "devices", len(ids), "until", now.Add(dur))
	return s.viewLocked(ss), nil
}

// scope is the registered devices req covers, in id order.
func scope(reg *registry.Registry, req Request) ([]*registry.Device, error) {
	n := 0
	for _, set := range []bool{len(req.Devices) > 0, req.Grid != "", req.Site} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, fmt.Errorf(`%w: give exactly one of "devices", "grid" or "site": true`, ErrBadScope)
	}
	var out []*registry.Device
	switch {
	case req.Site:
		out = reg.Devices()
	case req.Grid != "":
		if _, ok := reg.Grid(req.Grid); !ok {
			return nil, fmt.Errorf("%w: unknown grid %q", ErrBadScope, req.Grid)
		}
		for _, d := range reg.Devices() {
			if reg.InSubtree(d.Grid, req.Grid) {
				out = append(out, d)
			}
		}
	default:
		for _, id := range req.Devices {
			d, ok := reg.Device(id)
			if !ok {
				return nil, fmt.Errorf("%w: device %q is not in the registry", ErrBadScope, id)
			}
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no devices", ErrBadScope)
	}
	slices.SortFunc(out, func(a, b *registry.Device) int { return cmpString(a.ID, b.ID) })
	return out, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Close writes progress not yet written (at most a second's). The
// service may still be used after it; it holds nothing open.
func (s *Service) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dirty {
		return nil
	}
	return s.saveLocked(true)
}

// progressSaveEvery bounds how often progress is written to the file;
// what came since the last write is written with the next one, or at the
// session's end.
const progressSaveEvery = time.Second

// Get is session id as who may see it.
func (s *Service) Get(id string, who permit.Caller) (Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(s.cfg.Now())
	ss, ok := s.sessions[id]
	if !ok {
		return Session{}, ErrNotFound
	}
	if err := s.mayLocked(ss, who); err != nil {
		return Session{}, err
	}
	return s.viewLocked(ss), nil
}

// List is the sessions who may see, newest first.
func (s *Service) List(who permit.Caller) []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(s.cfg.Now())
	var out []Session
	for _, ss := range s.sessions {
		if s.mayLocked(ss, who) == nil {
			out = append(out, s.viewLocked(ss))
		}
	}
	slices.SortFunc(out, func(a, b Session) int { return int(b.StartedMS - a.StartedMS) })
	return out
}

// End ends session id for who: its devices leave test mode and its
// report is final.
func (s *Service) End(id string, who permit.Caller) (Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	s.expireLocked(now)
	ss, ok := s.sessions[id]
	if !ok {
		return Session{}, ErrNotFound
	}
	if err := s.mayLocked(ss, who); err != nil {
		return Session{}, err
	}
	if ss.Live() {
		s.tm.Lock()
		err := s.cfg.TestMode.Stop(ss.ID, who)
		s.tm.Unlock()
		if err != nil {
			return Session{}, fmt.Errorf("commission: end test mode: %w", err)
		}
		s.endLocked(ss, now, "ended")
	}
	return s.viewLocked(ss), nil
}

func (s *Service) mayLocked(ss *Session, who permit.Caller) error {
	reg := s.cfg.Registry()
	checked := map[string]bool{} // a site has many devices but few cells
	for _, d := range ss.Devices {
		if checked[d.Grid] {
			continue
		}
		checked[d.Grid] = true
		if err := permit.Check(reg, who, permit.Commission, permit.Target{Grid: d.Grid}); err != nil {
			return fmt.Errorf("%w: %v", ErrForbidden, err)
		}
	}
	return nil
}

// expireLocked ends the live sessions past their time. Their test mode
// ended by itself at the same instant (it was set to end then).
func (s *Service) expireLocked(now time.Time) {
	for _, ss := range s.sessions {
		if ss.Live() && now.UnixMilli() >= ss.ExpiresMS {
			s.endLocked(ss, time.UnixMilli(ss.ExpiresMS), "expired")
		}
	}
}

func (s *Service) endLocked(ss *Session, at time.Time, why string) {
	ss.EndedMS, ss.EndReason = at.UnixMilli(), why
	ss.views = nil // judged again, finally
	for id, cur := range s.byDevice {
		if cur == ss {
			delete(s.byDevice, id)
		}
	}
	s.inSessions.Store(int64(len(s.byDevice)))
	// Keep the newest ended sessions only.
	var ended []*Session
	for _, o := range s.sessions {
		if !o.Live() {
			ended = append(ended, o)
		}
	}
	slices.SortFunc(ended, func(a, b *Session) int { return int(b.EndedMS - a.EndedMS) })
	for _, o := range ended[min(len(ended), keptEnded):] {
		delete(s.sessions, o.ID)
	}
	if err := s.saveLocked(true); err != nil {
		s.log.Error("commissioning session end not saved", "session", ss.ID, "err", err)
	}
	s.log.Info("commissioning session ended", "session", ss.ID, "why", why)
	s.changedLocked(ss)
}

// saveLocked writes every session to the file, through a temporary file
// and a rename, so a crash leaves the old or the new list; sync makes it
// durable before it returns (starts and ends).
func (s *Service) saveLocked(sync bool) error {
	s.savedMS, s.dirty = s.cfg.Now().UnixMilli(), false
	raw := []byte{'['}
	for _, ss := range s.sessions {
		b := ss.raw
		if b == nil {
			var err error
			if b, err = json.Marshal(ss); err != nil {
				return fmt.Errorf("commission: %w", err)
			}
			if !ss.Live() {
				ss.raw = b // it no longer changes
			}
		}
		if len(raw) > 1 {
			raw = append(raw, ',')
		}
		raw = append(raw, b...)
	}
	raw = append(raw, ']')
	write := atomicfile.WriteUnsynced
	if sync {
		write = atomicfile.Write
	}
	if err := write(s.cfg.Path, raw, 0o600); err != nil {
		return fmt.Errorf("commission: save %s: %w", filepath.Base(s.cfg.Path), err)
	}
	return nil
}

// Event takes an event ingest accepted. Devices in no live session cost
// a map lookup.
func (s *Service) Event(ev *event.Event) {
	s.observe(ev.Device, func(d *Device) bool { return d.observe(ev) })
}

// Seen takes a heartbeat (any message) of device id.
func (s *Service) Seen(id string, atMS int64) {
	s.observe(id, func(d *Device) bool { return d.seen(atMS) })
}

// Telemetry takes a telemetry sample.
func (s *Service) Telemetry(t event.Telemetry) {
	s.observe(t.Device, func(d *Device) bool {
		ranges := s.cfg.Ranges
		reg := s.cfg.Registry()
		if rd, ok := reg.Device(d.ID); ok {
			ranges = rangesFor(reg, rd, ranges)
		}
		return d.telemetry(t, ranges)
	})
}

// CommandResult takes a command's outcome ("ok", "failed", "timeout").
func (s *Service) CommandResult(device, cmd, outcome, msg string, sentMS, ackMS int64) {
	s.observe(device, func(d *Device) bool {
		m := Mark{OK: outcome == "ok", AtMS: ackMS, Detail: cmd + " " + outcome}
		if msg != "" {
			m.Detail += ": " + msg
		}
		if ackMS >= sentMS && sentMS > 0 {
			m.LatencyMS = ackMS - sentMS
		}
		if m.AtMS == 0 {
			m.AtMS = s.cfg.Now().UnixMilli()
		}
		return d.mark(Command, m)
	})
}

func (s *Service) observe(id string, f func(*Device) bool) {
	if s.inSessions.Load() == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.byDevice[id]
	if !ok {
		return
	}
	if s.cfg.Now().UnixMilli() >= ss.ExpiresMS {
		s.expireLocked(s.cfg.Now())
		return
	}
	d := ss.Devices[id]
	if !f(d) {
		return
	}
	delete(ss.views, id)
	if !d.Released {
		if d.judge(false); d.Outcome == Passed {
			d.Released = true
			s.releases[ss.ID] = append(s.releases[ss.ID], id)
		}
	}
	s.dirty = true
	if now := s.cfg.Now().UnixMilli(); now-s.savedMS >= progressSaveEvery.Milliseconds() {
		if err := s.saveLocked(false); err != nil {
			s.log.Warn("commissioning progress not saved", "session", ss.ID, "err", err)
		}
	}
	s.changedLocked(ss)
}

func newID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "cs-" + now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}
