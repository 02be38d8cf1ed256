package engine

import (
	"errors"
	"fmt"
	"slices"
)

// inhibitor is one resolved inhibited_by entry: a rule whose raised alarm
// mutes this one on the same device, or in the same cell.
type inhibitor struct {
	rule *compiled
	grid bool
}

// checkInhibit checks the shape of r's inhibited_by; setProblems checks
// the names against the rest of the set.
func checkInhibit(r Rule) []problem {
	var probs []problem
	for _, in := range r.InhibitedBy {
		if len(in.Rules) == 0 {
			probs = append(probs, problem{"inhibited_by", errors.New("inhibited_by: no rules")})
		}
		switch in.Scope {
		case "", "device", "grid":
		default:
			probs = append(probs, problem{"inhibited_by", fmt.Errorf("inhibited_by scope %q: want device or grid", in.Scope)})
		}
	}
	return probs
}

// setProblem is a problem of rule index found by checking it against
// the other rules of its set.
type setProblem struct {
	index int
	problem
}

// setProblems checks what a rule says about other rules: inhibited_by
// names rules of the set that have clears (so the engine knows when
// their alarm is raised), not the rule itself; no rule's id is another
// rule's flapping alarm id.
func setProblems(rules []Rule) []setProblem {
	byID := make(map[string]*Rule, len(rules))
	for i := range rules {
		if _, dup := byID[rules[i].ID]; !dup {
			byID[rules[i].ID] = &rules[i]
		}
	}
	var out []setProblem
	for i, r := range rules {
		bad := func(key, format string, args ...any) {
			out = append(out, setProblem{i, problem{key, fmt.Errorf(format, args...)}})
		}
		if r.Flap != nil {
			if _, clash := byID[r.ID+FlapSuffix]; clash {
				bad("flap", "flap: rule id %q is taken by another rule; its flapping alarm needs it", r.ID+FlapSuffix)
			}
		}
		for _, in := range r.InhibitedBy {
			for _, id := range in.Rules {
				other, ok := byID[id]
				switch {
				case id == r.ID:
					bad("inhibited_by", "inhibited_by: a rule cannot inhibit itself")
				case !ok:
					bad("inhibited_by", "inhibited_by: no rule %q in the set", id)
				case len(other.Clears) == 0:
					bad("inhibited_by", "inhibited_by: rule %q has no clears, so its alarm is never known to end", id)
				}
			}
		}
	}
	return out
}

// resolveInhibitors links each rule's inhibited_by to the compiled rules.
func (e *Engine) resolveInhibitors() {
	byID := make(map[string]*compiled, len(e.rules))
	for _, r := range e.rules {
		byID[r.ID] = r
	}
	for _, r := range e.rules {
		for _, in := range r.InhibitedBy {
			for _, id := range in.Rules {
				if o := byID[id]; o != nil && o.life() != nil {
					r.inhibitors = append(r.inhibitors, inhibitor{rule: o, grid: in.Scope == "grid"})
				}
			}
		}
	}
}

// inhibitedBy returns the id of a rule whose raised alarm mutes r on
// device (in cell), or "".
func inhibitedBy(r *compiled, device, cell string) string {
	for _, in := range r.inhibitors {
		l := in.rule.life()
		if in.grid {
			if cell != "" && l.inGrid[cell] > 0 {
				return in.rule.ID
			}
		} else if l.isActive(device) {
			return in.rule.ID
		}
	}
	return ""
}

// cloneInhibitions copies in deeply.
func cloneInhibitions(in Inhibitions) Inhibitions {
	if in == nil {
		return nil
	}
	out := make(Inhibitions, len(in))
	for i, x := range in {
		out[i] = Inhibit{Rules: slices.Clone(x.Rules), Scope: x.Scope}
	}
	return out
}
