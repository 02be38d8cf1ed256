package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gridwatch/gridwatch/gateway/registry"
)

// Silence mutes raises by device, cell (and everything below it) or rule
// for a while: a maintenance window, or an installer's test mode. A
// muted raise still makes its trigger, marked, so the alarm is recorded
// but pages nobody. A trigger is silenced when every list that is given
// holds it (at least one must be given) and its event time is in
// [From, Until) and, with Every, in the weekly window.
type Silence struct {
	// ID names the silence; AddSilence with the same ID replaces it.
	ID string `yaml:"id" json:"id"`
	// Reason says why, for the record ("灯箱检修").
	Reason  string   `yaml:"reason" json:"reason"`
	Devices []string `yaml:"devices,omitempty" json:"devices,omitempty"`
	Grids   []string `yaml:"grids,omitempty" json:"grids,omitempty"`
	Rules   []string `yaml:"rules,omitempty" json:"rules,omitempty"`
	// Test is an installer's test mode: triggers are marked Test (and
	// Muted "test: reason") and keep their commands, so the box still
	// strobes while nobody is paged.
	Test bool `yaml:"test,omitempty" json:"test,omitempty"`
	// From and Until bound the silence; zero means unbounded.
	From  time.Time `yaml:"from,omitempty" json:"from,omitzero"`
	Until time.Time `yaml:"until,omitempty" json:"until,omitzero"`
	// Every repeats the silence weekly, in the engine's zone.
	Every *Weekly `yaml:"every,omitempty" json:"every,omitempty"`
	// By and Set say who set a silence at run time, and when (for the
	// record; a rule file's silences leave them empty).
	By  string    `yaml:"-" json:"by,omitempty"`
	Set time.Time `yaml:"-" json:"set,omitzero"`
}

// Weekly is a window of the week: From to Until ("02:00", "04:00") on
// each of Weekdays (0 = Sunday; empty means every day). A window whose
// Until is not after From runs past midnight into the next day.
type Weekly struct {
	Weekdays []int  `yaml:"weekdays,omitempty" json:"weekdays,omitempty"`
	From     string `yaml:"from" json:"from"`
	Until    string `yaml:"until" json:"until"`
}

// silence is a checked Silence.
type silence struct {
	Silence
	from, until    int64 // Unix ms; 0 unbounded
	days           uint8 // weekday bit mask; with every
	fromMin, toMin int   // minutes of the day; with every
}

func compileSilence(s Silence) (*silence, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !registry.ValidID(s.ID) {
		bad("id %q: want [A-Za-z0-9._-]{1,64}", s.ID)
	}
	if strings.TrimSpace(s.Reason) == "" {
		bad("no reason")
	}
	if len(s.Devices)+len(s.Grids)+len(s.Rules) == 0 {
		bad("no devices, grids or rules: a silence of everything is refused")
	}
	for _, id := range slices.Concat(s.Devices, s.Grids, s.Rules) {
		if !registry.ValidID(id) {
			bad("id %q: want [A-Za-z0-9._-]{1,64}", id)
		}
	}
	c := &silence{Silence: s}
	if !s.From.IsZero() {
		c.from = s.From.UnixMilli()
	}
	if !s.Until.IsZero() {
		c.until = s.Until.UnixMilli()
	}
	if c.from != 0 && c.until != 0 && c.until <= c.from {
		bad("until %v is not after from %v", s.Until, s.From)
	}
	if w := s.Every; w != nil {
		var err error
		if c.fromMin, err = clock(w.From); err != nil {
			errs = append(errs, err)
		}
		if c.toMin, err = clock(w.Until); err != nil {
			errs = append(errs, err)
		}
		for _, d := range w.Weekdays {
			if d < 0 || d > 6 {
				bad("weekday %d: want 0 (Sunday) to 6", d)
				continue
			}
			c.days |= 1 << d
		}
		if len(w.Weekdays) == 0 {
			c.days = 0x7f
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("silence %s: %w", s.ID, errors.Join(errs...))
	}
	c.Devices, c.Grids, c.Rules = slices.Clone(s.Devices), slices.Clone(s.Grids), slices.Clone(s.Rules)
	return c, nil
}

// clock reads "HH:MM" as minutes of the day.
func clock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("time of day %q: want HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// covers reports whether s mutes rule on device (in cell) at ms.
func (e *Engine) covers(s *silence, rule, device string, dev *registry.Device, ms int64) bool {
	if (s.from != 0 && ms < s.from) || (s.until != 0 && ms >= s.until) {
		return false
	}
	if len(s.Rules) > 0 && !slices.Contains(s.Rules, rule) {
		return false
	}
	if len(s.Devices) > 0 && !slices.Contains(s.Devices, device) {
		return false
	}
	if len(s.Grids) > 0 && (dev == nil || e.registry == nil || !e.inGrids(dev.Grid, s.Grids)) {
		return false
	}
	return s.Every == nil || s.inWeek(time.UnixMilli(ms).In(e.zone))
}

// inWeek reports whether t falls in the weekly window; the part of a
// window past midnight belongs to the day it started.
func (s *silence) inWeek(t time.Time) bool {
	m, day := t.Hour()*60+t.Minute(), int(t.Weekday())
	on := func(d int) bool { return s.days&(1<<d) != 0 }
	if s.fromMin < s.toMin {
		return on(day) && m >= s.fromMin && m < s.toMin
	}
	return (on(day) && m >= s.fromMin) || (on((day+6)%7) && m < s.toMin)
}

// silenced returns the first silence that mutes rule on device at ms.
func (e *Engine) silenced(rule, device string, dev *registry.Device, ms int64) *silence {
	for _, list := range [2][]*silence{e.fileSilences, e.silences} {
		for _, s := range list {
			if e.covers(s, rule, device, dev, ms) {
				return s
			}
		}
	}
	return nil
}

// AddSilence adds a silence, or replaces the one with the same ID. It
// refuses a silence with any problem, saying every one. Silences added
// here (unlike those of the rule file) are kept by Snapshot and Reload
// and dropped once past Until. AddSilence belongs to the engine's owner.
func (e *Engine) AddSilence(s Silence) error {
	c, err := compileSilence(s)
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	for i, old := range e.silences {
		if old.ID == s.ID {
			e.silences[i] = c
			return nil
		}
	}
	if len(e.silences) >= maxSilences {
		return fmt.Errorf("rules: silence %s: already %d silences", s.ID, maxSilences)
	}
	e.silences = append(e.silences, c)
	return nil
}

// maxSilences bounds the silences added at run time.
const maxSilences = 10_000

// RemoveSilence removes the silence with id added by AddSilence and
// reports whether there was one.
func (e *Engine) RemoveSilence(id string) bool {
	for i, s := range e.silences {
		if s.ID == id {
			e.silences = slices.Delete(e.silences, i, i+1)
			return true
		}
	}
	return false
}

// Silences returns the rule file's silences, then those added by
// AddSilence.
func (e *Engine) Silences() []Silence {
	out := make([]Silence, 0, len(e.fileSilences)+len(e.silences))
	for _, list := range [2][]*silence{e.fileSilences, e.silences} {
		for _, s := range list {
			out = append(out, s.Silence)
		}
	}
	return out
}

// pruneSilences drops added silences that ended before now.
func (e *Engine) pruneSilences(now int64) {
	e.silences = slices.DeleteFunc(e.silences, func(s *silence) bool { return s.until != 0 && s.until <= now })
}

func (e *Engine) saveSilences(put func(record)) {
	for _, s := range e.silences {
		put(record{K: "silence", Silence: &s.Silence})
	}
}

func (e *Engine) restoreSilence(s *Silence) error {
	if s == nil {
		return errors.New("silence line without a silence")
	}
	return e.AddSilence(*s)
}
