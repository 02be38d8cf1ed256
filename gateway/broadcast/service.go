package broadcast

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// Notifier reaches a person and says over which channel (the gateway's
// pager: MQTT, falling back to SMS).
type Notifier interface {
	NotifyVia(ctx context.Context, staffID string, n event.Notification) (channel string, err error)
}

// Commander sends a device command and returns its id; the outcome comes
// back through Service.CommandResult.
type Commander interface {
	Send(c event.Command) (string, error)
}

// Config configures a Service; all but Now and Logger are required.
type Config struct {
	Path     string // the bbolt file
	Registry func() *registry.Registry
	Notifier Notifier
	// Confirmed says the Notifier follows each page until the person's
	// client confirms it and reports that through PageReport: a staff
	// target then stays pending until its page is delivered. Otherwise a
	// page the Notifier took counts as delivered at once.
	Confirmed bool
	Commander Commander
	Now       func() time.Time
	Logger    *slog.Logger
}

// Service sends broadcasts and tracks their targets. Its methods are safe
// for concurrent use; one mutex orders a broadcast's sending against the
// command results that come back for it.
type Service struct {
	cfg   Config
	log   *slog.Logger
	mu    sync.Mutex
	store *store
	seq   int
	// back holds devices back online whose missed broadcasts Run speaks
	// again, off the caller's path.
	back chan string
}

// Open opens the store and builds the Service.
func Open(cfg Config) (*Service, error) {
	if cfg.Path == "" || cfg.Registry == nil || cfg.Notifier == nil || cfg.Commander == nil {
		return nil, fmt.Errorf("broadcast: path, registry, notifier and commander are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := openStore(cfg.Path, cfg.Now(), log)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, log: log, store: st, back: make(chan string, backQueue)}
	if n, err := st.settlePending(ErrRestarted.Error(), cfg.Now().UnixMilli()); err != nil {
		_ = st.close()
		return nil, err
	} else if n > 0 {
		s.log.Warn("broadcast targets left pending by the last run marked timed out", "targets", n)
	}
	return s, nil
}

// ErrRestarted is the error of a target whose answer the gateway could no
// longer wait for: it restarted (commands wait in memory) before the box
// answered or a person was reached.
var ErrRestarted = errors.New("gateway restarted before the target answered")

// Close closes the store.
func (s *Service) Close() error { return s.store.close() }

// Send broadcasts text to the subtree under scope ("" the whole site) on
// behalf of caller who, who must be allowed permit.Broadcast there (else
// the error wraps ErrForbidden). It returns the broadcast with every target's
// first status: people are reached at once, light boxes answer later.
func (s *Service) Send(ctx context.Context, scope, text string, who permit.Caller) (Broadcast, error) {
	by := who.ID
	if text == "" || len(text) > MaxText || !utf8.ValidString(text) {
		return Broadcast{}, fmt.Errorf("%w: text must be 1–%d bytes of UTF-8", ErrBadRequest, MaxText)
	}
	reg := s.cfg.Registry()
	gridName := "全部"
	if scope != "" {
		g, ok := reg.Grid(scope)
		if !ok {
			return Broadcast{}, fmt.Errorf("broadcast to %q: %w", scope, ErrUnknownGrid)
		}
		gridName = g.Name
	}
	if err := permit.Check(reg, who, permit.Broadcast, permit.Target{Grid: scope}); err != nil {
		return Broadcast{}, fmt.Errorf("%v: %w", err, ErrForbidden)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	s.seq++
	b := &Broadcast{ID: fmt.Sprintf("B%013d-%d", now.UnixMilli(), s.seq), Scope: scope, Text: text, By: by, CreatedMS: now.UnixMilli()}
	for _, d := range reg.Devices() {
		if d.Kind == registry.Lightbox && inScope(reg, d.Grid, scope) {
			b.Targets = append(b.Targets, Target{Kind: KindDevice, ID: d.ID, Status: Pending})
		}
	}
	for _, st := range reg.StaffList() {
		if servesIn(reg, st, scope) {
			b.Targets = append(b.Targets, Target{Kind: KindStaff, ID: st.ID, Status: Pending})
		}
	}
	// Recorded before anything goes out: a crash mid-way leaves the
	// targets not reached as pending, for everyone to see.
	if err := s.store.put(b); err != nil {
		return Broadcast{}, fmt.Errorf("broadcast: %w", err)
	}
	note := b.notification(gridName)
	for i := range b.Targets {
		t := &b.Targets[i]
		t.AtMS = s.cfg.Now().UnixMilli()
		if t.Kind == KindDevice {
			s.speak(reg, b, t)
			continue
		}
		ch, err := s.cfg.Notifier.NotifyVia(ctx, t.ID, note)
		t.Channel = ch
		switch {
		case err != nil:
			t.Status, t.Error = Failed, err.Error()
		case s.cfg.Confirmed:
			t.Status = Pending // until the person's client confirms it
			if t.Channel == "" {
				t.Channel = event.PageApp
			}
		default:
			t.Status = Delivered
		}
	}
	b.summarise()
	if err := s.store.put(b); err != nil {
		return Broadcast{}, fmt.Errorf("broadcast: %w", err)
	}
	s.log.Info("broadcast sent", "broadcast", b.ID, "grid", scope, "by", by, "targets", len(b.Targets), "summary", b.Summary)
	return *b, nil
}

// speak commands one light box.
func (s *Service) speak(reg *registry.Registry, b *Broadcast, t *Target) {
	if d, ok := reg.Device(t.ID); !ok || d.Modbus != nil || d.OSDP != nil {
		t.Status, t.Error = Unsupported, "not an MQTT device"
		return
	}
	cid, err := s.cfg.Commander.Send(event.Command{Device: t.ID, Cmd: CmdSpeak,
		Args: map[string]any{"text": b.Text, "broadcast_id": b.ID}})
	t.CID, t.Channel = cid, "mqtt"
	if err != nil {
		t.Status, t.Error = Failed, err.Error()
	}
}

// CommandResult records how a light box answered its speak command;
// results of other commands are ignored.
func (s *Service) CommandResult(cid, outcome, errText string, atMS int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.store.byCommand(cid)
	if err != nil {
		return // not a broadcast's command
	}
	for i := range b.Targets {
		t := &b.Targets[i]
		if t.CID != cid || t.Status != Pending {
			continue
		}
		t.Status, t.Error, t.AtMS = outcome, errText, atMS
		b.summarise()
		if err := s.store.put(b); err != nil {
			s.log.Error("broadcast target not updated", "broadcast", b.ID, "device", t.ID, "err", err)
		}
		return
	}
}

// PageReport records news of a broadcast's page to a person: delivered
// (the person's client confirmed it) or failed; a fallback to SMS only
// changes the channel. A target already delivered stays so; one settled
// as timed out by a restart takes the news.
func (s *Service) PageReport(r event.PageReport) {
	if r.BroadcastID == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.store.get(r.BroadcastID)
	if err != nil {
		s.log.Debug("page report for an unknown broadcast", "broadcast", r.BroadcastID, "err", err)
		return
	}
	for i := range b.Targets {
		t := &b.Targets[i]
		if t.Kind != KindStaff || t.ID != r.Staff || t.Status == Delivered {
			continue
		}
		switch r.State {
		case event.PageDelivered:
			t.Status, t.Error = Delivered, ""
		case event.PageFailed:
			t.Status, t.Error = Failed, r.Note
		case event.PageFallenBack:
		default:
			return
		}
		t.Channel, t.AtMS = r.Channel, r.AtMS
		b.summarise()
		if err := s.store.put(b); err != nil {
			s.log.Error("broadcast target not updated", "broadcast", b.ID, "staff", t.ID, "err", err)
		}
		return
	}
}

// ResendWithin is how old a broadcast may be for a light box that missed
// it (timed out or failed while offline) to get it when it comes back.
const ResendWithin = time.Hour

// maxResendScan bounds the broadcasts a resend looks through.
const maxResendScan = 200

// backQueue bounds the devices waiting for Run to speak to them again: a
// whole cell's power coming back brings hundreds back at once.
const backQueue = 4096

// DeviceBack notes that a light box has just come back online; Run then
// speaks to it again every broadcast of the last ResendWithin that it
// missed. It never blocks: the rules' pipeline calls it.
func (s *Service) DeviceBack(device string) {
	select {
	case s.back <- device:
	default:
		s.log.Warn("too many devices back online at once; this one does not hear the broadcasts it missed", "device", device)
	}
}

// Run speaks again to the devices DeviceBack reports, until ctx is done.
func (s *Service) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case device := <-s.back:
			s.resend(device)
		}
	}
}

// resend speaks again, to a light box back online, every broadcast of the
// last ResendWithin that it missed (timed out or failed); the target is
// pending again under its new command id.
func (s *Service) resend(device string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list, err := s.store.list(maxResendScan)
	if err != nil {
		s.log.Error("broadcasts not read for a device back online", "device", device, "err", err)
		return
	}
	now := s.cfg.Now()
	reg := s.cfg.Registry()
	for i := range list {
		b := &list[i]
		if now.Sub(time.UnixMilli(b.CreatedMS)) > ResendWithin {
			return // newest first: the rest are older still
		}
		for j := range b.Targets {
			t := &b.Targets[j]
			if t.Kind != KindDevice || t.ID != device || (t.Status != Timeout && t.Status != Failed) {
				continue
			}
			t.Status, t.Error, t.AtMS = Pending, "", now.UnixMilli()
			t.Resent++
			s.speak(reg, b, t)
			b.summarise()
			if err := s.store.put(b); err != nil {
				s.log.Error("broadcast target not updated", "broadcast", b.ID, "device", device, "err", err)
				continue
			}
			s.log.Info("broadcast spoken again to a box back online", "broadcast", b.ID, "device", device, "status", t.Status)
		}
	}
}

// Get returns one broadcast.
func (s *Service) Get(id string) (Broadcast, error) {
	b, err := s.store.get(id)
	if err != nil {
		return Broadcast{}, err
	}
	return *b, nil
}

// List returns up to limit broadcasts, newest first.
func (s *Service) List(limit int) ([]Broadcast, error) { return s.store.list(limit) }

func inScope(reg *registry.Registry, grid, scope string) bool {
	return scope == "" || reg.InSubtree(grid, scope)
}

// servesIn reports whether a staff member serves a cell inside the scope.
func servesIn(reg *registry.Registry, st *registry.Staff, scope string) bool {
	for _, g := range st.Grids {
		if inScope(reg, g, scope) {
			return true
		}
	}
	return false
}
