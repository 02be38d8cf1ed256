package rulefile

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

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

// duressType is the silent panic: its box must stay dark and quiet.
const duressType = event.ButtonDuress

func checkCommands(r Rule) []problem {
	var probs []problem
	bad := func(format string, args ...any) {
		probs = append(probs, problem{"commands", fmt.Errorf(format, args...)})
	}
	silent := slices.ContainsFunc(r.Types, func(typ string) bool { ok, _ := path.Match(typ, duressType); return ok })
	for i, c := range r.Commands {
		switch c.To {
		case ToSelf:
			if silent {
				bad("command %d: a rule on %s (silent panic) must not command the box itself: it stays dark and quiet", i, duressType)
			}
		case ToLinkedCameras:
		default:
			bad("command %d: to %q: want self or linked_cameras", i, c.To)
		}
		if !registry.ValidID(c.Cmd) {
			bad("command %d: cmd %q: want a command name such as strobe", i, c.Cmd)
		}
	}
	if len(r.Commands) > 0 && r.Absence != nil {
		probs = append(probs, problem{"commands", errors.New("an absence rule raises nothing, so commands nothing")})
	}
	return probs
}

// cloneCommands copies the specs (and their argument maps, shallowly).
func cloneCommands(cs []CommandSpec) []CommandSpec {
	if cs == nil {
		return nil
	}
	out := make([]CommandSpec, len(cs))
	for i, c := range cs {
		out[i] = CommandSpec{To: c.To, Cmd: c.Cmd, Args: maps.Clone(c.Args)}
	}
	return out
}
