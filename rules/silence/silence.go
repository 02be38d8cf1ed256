package silence

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
	// ID names the silence; setting one with the same ID replaces it.
	ID string `yaml:"id" json:"id"`
	// Reason says why, for the record ("灯箱检修").
	Reason  string   `yaml:"reason" json:"reason"`
	Devices []string `yaml:"devices,omitempty" json:"devices,omitempty"`
	Grids   []string `yaml:"grids,omitempty" json:"grids,omitempty"`
	Rules   []string `yaml:"rules,omitempty" json:"rules,omitempty"`
	// Test is an installer's test mode: triggers are marked Test (and
	// Muted "test: reason") and keep their commands but siren, so the box
	// still strobes while nobody is paged.
	Test bool `yaml:"test,omitempty" json:"test,omitempty"`
	// Sirens lets a test mode sound the boxes' sirens too; without it a
	// test raise keeps every command but siren (the box strobes, the
	// cameras clip, the street stays quiet). Only with Test.
	Sirens bool `yaml:"sirens,omitempty" json:"sirens,omitempty"`
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

// Matcher is a checked Silence, ready to match triggers.
type Matcher struct {
	Silence
	from, until    int64 // Unix ms; 0 unbounded
	days           uint8 // weekday bit mask; with every
	fromMin, toMin int   // minutes of the day; with every
}

// Compile checks s and prepares it for matching. It reports every
// problem at once, as "silence ID: what".
func Compile(s Silence) (*Matcher, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !registry.ValidID(s.ID) {
		bad("id %q: want [A-Za-z0-9._-]{1,64}", s.ID)
	}
	if strings.TrimSpace(s.Reason) == "" {
		bad("no reason")
	}
	if s.Sirens && !s.Test {
		bad("sirens: only with test: true (an installer's test mode may sound the sirens; other silences send nothing)")
	}
	if len(s.Devices)+len(s.Grids)+len(s.Rules) == 0 {
		bad("no devices, grids or rules: a silence of everything is refused")
	}
	for _, id := range slices.Concat(s.Devices, s.Grids, s.Rules) {
		if !registry.ValidID(id) {
			bad("id %q: want [A-Za-z0-9._-]{1,64}", id)
		}
	}
	m := &Matcher{Silence: s}
	if !s.From.IsZero() {
		m.from = s.From.UnixMilli()
	}
	if !s.Until.IsZero() {
		m.until = s.Until.UnixMilli()
	}
	if m.from != 0 && m.until != 0 && m.until <= m.from {
		bad("until %v is not after from %v", s.Until, s.From)
	}
	if w := s.Every; w != nil {
		var err error
		if m.fromMin, err = clock(w.From); err != nil {
			errs = append(errs, err)
		}
		if m.toMin, err = clock(w.Until); err != nil {
			errs = append(errs, err)
		}
		for _, d := range w.Weekdays {
			if d < 0 || d > 6 {
				bad("weekday %d: want 0 (Sunday) to 6", d)
				continue
			}
			m.days |= 1 << d
		}
		if len(w.Weekdays) == 0 {
			m.days = 0x7f
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("silence %s: %w", s.ID, errors.Join(errs...))
	}
	m.Devices, m.Grids, m.Rules = slices.Clone(s.Devices), slices.Clone(s.Grids), slices.Clone(s.Rules)
	if s.Every != nil {
		w := *s.Every
		w.Weekdays = slices.Clone(w.Weekdays)
		m.Every = &w
	}
	return m, nil
}

// clock reads "HH:MM" as minutes of the day.
func clock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("time of day %q: want HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Ended reports whether the silence is over at ms (Unix ms): it has an
// Until at or before it.
func (m *Matcher) Ended(ms int64) bool { return m.until != 0 && m.until <= ms }

// Covers reports whether m mutes rule on device at ms (Unix ms), the
// weekly window told in zone. inGrids reports whether the device lies in
// the subtree of one of the given cells; it is asked only when m names
// grids.
func (m *Matcher) Covers(rule, device string, ms int64, zone *time.Location, inGrids func(roots []string) bool) bool {
	if (m.from != 0 && ms < m.from) || (m.until != 0 && ms >= m.until) {
		return false
	}
	if len(m.Rules) > 0 && !slices.Contains(m.Rules, rule) {
		return false
	}
	if len(m.Devices) > 0 && !slices.Contains(m.Devices, device) {
		return false
	}
	if len(m.Grids) > 0 && !inGrids(m.Grids) {
		return false
	}
	return m.Every == nil || m.inWeek(time.UnixMilli(ms).In(zone))
}

// inWeek reports whether t falls in the weekly window; the part of a
// window past midnight belongs to the day it started.
func (m *Matcher) inWeek(t time.Time) bool {
	mins, day := t.Hour()*60+t.Minute(), int(t.Weekday())
	on := func(d int) bool { return m.days&(1<<d) != 0 }
	if m.fromMin < m.toMin {
		return on(day) && mins >= m.fromMin && mins < m.toMin
	}
	return (on(day) && mins >= m.fromMin) || (on((day+6)%7) && mins < m.toMin)
}
