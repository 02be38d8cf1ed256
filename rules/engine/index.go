package engine

import (
	"path"
	"slices"
)

// role is what an event type means to a rule.
type role uint8

const (
	roleRaise role = iota // a matching event: raise, count, start a sequence, or a sign of life
	roleThen              // the second event of a sequence
	roleClear             // closes the rule's open alarm
	roleHeld              // the derived event of a for: deadline
	roleCalm              // the derived event of a flap window without toggles
)

// entry is one rule's interest in an event type.
type entry struct {
	rule *compiled
	role role
}

// bucket is everything one event type means: raising entries in rule
// order, then clearing ones in rule order.
type bucket struct {
	entries []entry
}

// globEntry is an entry that matches by pattern.
type globEntry struct {
	entry
	pattern string
}

// index builds the per-type buckets. Exact types get a bucket holding
// their exact entries and every glob entry that matches them, so matching
// a known type is one map lookup. Types no rule names exactly fall to the
// glob list, matched per event.
func (e *Engine) index() {
	var globs []globEntry
	exact := make(map[string][]entry)
	add := func(r *compiled, ro role, types []string) {
		for _, t := range types {
			if isGlob(t) {
				globs = append(globs, globEntry{entry{r, ro}, t})
			} else {
				exact[t] = append(exact[t], entry{r, ro})
			}
		}
	}
	for _, r := range e.rules {
		types := r.Types
		if r.Absence != nil && len(types) == 0 {
			types = []string{"*"}
		}
		add(r, roleRaise, types)
		if r.Sequence != nil {
			add(r, roleThen, r.Sequence.Then)
		}
		add(r, roleClear, r.Clears)
		if r.For > 0 {
			add(r, roleHeld, []string{EventHeld})
		}
		if r.Flap != nil {
			add(r, roleCalm, []string{EventCalm})
		}
	}
	for typ, list := range exact {
		for _, g := range globs {
			if ok, _ := path.Match(g.pattern, typ); ok {
				list = append(list, g.entry)
			}
		}
		e.byType[typ] = &bucket{entries: ordered(list)}
	}
	slices.SortStableFunc(globs, func(a, b globEntry) int { return cmpEntry(a.entry, b.entry) })
	e.globs = globs
}

// ordered sorts entries by rule, then role, and drops repeats (a rule
// naming two patterns that both match one type).
func ordered(list []entry) []entry {
	slices.SortStableFunc(list, cmpEntry)
	return slices.Compact(list)
}

// cmpEntry orders raising entries before clearing ones, each in rule
// order, as the foundation engine did.
func cmpEntry(a, b entry) int {
	if ac, bc := a.role == roleClear, b.role == roleClear; ac != bc {
		if ac {
			return 1
		}
		return -1
	}
	if a.rule.Index != b.rule.Index {
		return a.rule.Index - b.rule.Index
	}
	return int(a.role) - int(b.role)
}
