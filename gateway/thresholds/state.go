package thresholds

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/gridwatch/gridwatch/internal/atomicfile"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Replayer reads the journal back.
type Replayer interface {
	// Replay calls fn, in ID order, for every durable event after after.
	Replay(after uint64, fn func(event.Event) error) error
	LastID() uint64
}

// snapshot is the state file: the raised thresholds and the event types
// each device sent itself, as of journal event After.
type snapshot struct {
	After  uint64                      `json:"after"`
	Raised []raisedCond                `json:"raised"`
	Own    map[string]map[string]int64 `json:"own,omitempty"`
}

type raisedCond struct {
	Device string `json:"device"`
	Field  string `json:"field"`
	ID     uint64 `json:"id"` // the event that raised it
	At     int64  `json:"at"`
}

// Restore loads the state file and replays the journal after the event it
// covers, so that the state is the one the journal says. With no file (the
// first start) it starts after the journal's last event with nothing
// raised; a file that cannot be read is set aside (.bad) with a warning,
// and the same follows. Call it once, before the first telemetry and
// before the journal takes new events.
func (m *Monitor) Restore(j Replayer) error {
	after := j.LastID()
	snap, err := m.load()
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		m.cfg.Logger.Warn("telemetry threshold state not restored; nothing raised is remembered", "path", m.cfg.Path, "err", err)
		if rerr := os.Rename(m.cfg.Path, m.cfg.Path+".bad"); rerr != nil {
			m.cfg.Logger.Warn("unusable telemetry threshold state not set aside", "err", rerr)
		}
	default:
		m.mu.Lock()
		for _, r := range snap.Raised {
			m.conds[key{r.Device, r.Field}] = &cond{raised: true, id: r.ID, at: r.At}
		}
		for dev, own := range snap.Own {
			m.own[dev] = own
		}
		m.mu.Unlock()
		after = snap.After
	}
	m.after.Store(after)
	reg := m.cfg.Registry()
	n := 0
	err = j.Replay(after, func(ev event.Event) error {
		if reg.ThresholdEvent(ev.Type) {
			m.apply(reg, &ev)
			n++
		}
		m.after.Store(ev.ID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("thresholds: journal replay after %d: %w", after, err)
	}
	m.cfg.Logger.Info("telemetry threshold state restored", "after_event", after, "replayed", n, "raised", m.raisedCount())
	return nil
}

func (m *Monitor) raisedCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.conds {
		if c.raised {
			n++
		}
	}
	return n
}

func (m *Monitor) load() (snapshot, error) {
	var s snapshot
	if m.cfg.Path == "" {
		return s, os.ErrNotExist
	}
	b, err := os.ReadFile(m.cfg.Path)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s: %w", m.cfg.Path, err)
	}
	return s, nil
}

// maybeSave writes the state file when it changed SaveDirty ago or more,
// or SaveIdle after the last write; a telemetry call that finds another
// one writing does not wait.
func (m *Monitor) maybeSave(now time.Time) {
	if m.cfg.Path == "" || !m.saveMu.TryLock() {
		return
	}
	defer m.saveMu.Unlock()
	m.mu.Lock()
	due := now.Sub(m.lastSave) >= m.cfg.SaveIdle || m.dirty && now.Sub(m.lastSave) >= m.cfg.SaveDirty
	m.mu.Unlock()
	if due {
		m.saveLocked(now)
	}
}

// Close writes the state file a last time. The journal has stopped taking
// events by then, or the replay at the next start covers what came after.
func (m *Monitor) Close() error {
	if m.cfg.Path == "" {
		return nil
	}
	m.saveMu.Lock()
	defer m.saveMu.Unlock()
	return m.saveLocked(m.cfg.Now())
}

// saveLocked writes the state file; the caller holds saveMu.
func (m *Monitor) saveLocked(now time.Time) error {
	// after first: every event up to it is in the state copied next
	// (Journaled applies before it moves after on).
	s := snapshot{After: m.after.Load(), Own: map[string]map[string]int64{}}
	reg := m.cfg.Registry()
	m.mu.Lock()
	for k, c := range m.conds {
		if !c.raised {
			continue
		}
		s.Raised = append(s.Raised, raisedCond{Device: k.device, Field: k.field, ID: c.id, At: c.at})
	}
	for dev, own := range m.own {
		if _, ok := reg.Device(dev); !ok {
			continue
		}
		cp := make(map[string]int64, len(own))
		for t, at := range own {
			cp[t] = at
		}
		s.Own[dev] = cp
	}
	m.dirty = false
	m.lastSave = now
	m.mu.Unlock()
	sort.Slice(s.Raised, func(i, j int) bool {
		a, b := s.Raised[i], s.Raised[j]
		return a.Device < b.Device || a.Device == b.Device && a.Field < b.Field
	})
	b, err := json.Marshal(s)
	if err == nil {
		err = atomicfile.Write(m.cfg.Path, b, 0o640)
	}
	if err != nil {
		m.mu.Lock()
		m.dirty = true
		m.mu.Unlock()
		m.m.problems.WithLabelValues(reasonNotSaved).Inc()
		m.log.Warn("save", "telemetry threshold state not saved; tried again later (a restart replays the journal from the last save)", "err", err)
		return fmt.Errorf("thresholds: save %s: %w", m.cfg.Path, err)
	}
	return nil
}
