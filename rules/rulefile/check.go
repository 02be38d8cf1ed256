package rulefile

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// problem is one thing wrong with a rule and the key it is about, so a
// rule file can point at the right line.
type problem struct {
	key string
	err error
}

// KeyBy says what a stateful rule keys its state by.
type KeyBy int

// What Count.By and Sequence.By name.
const (
	ByDevice KeyBy = iota // "device", the default
	ByGrid                // "grid": the device's cell
	ByExpr                // an expression over Env: Checked.KeyExpr
)

// Checked is a rule that passed every check, prepared for an engine: a
// copy of the rule of its own (no slice or map shared with the caller's),
// its titles split at their placeholders and its expressions compiled.
type Checked struct {
	Rule
	// Index is the rule's position in its set.
	Index int
	// Heading is Title, split; FlapHeading is the flapping alarm's
	// title (Flap.Title or DefaultFlapTitle), for a rule with flap.
	Heading, FlapHeading Template
	// Cond is the compiled when: condition; nil when there is none.
	Cond *vm.Program
	// KeyBy is what a count or sequence keys by; KeyExpr is the
	// compiled expression for ByExpr.
	KeyBy   KeyBy
	KeyExpr *vm.Program
}

// Check checks rules as a set, as ParseFile does, and prepares each for
// an engine. It reports every problem at once, each as "rule N (ID):
// what". Grids are not looked up in a registry.
func Check(rules []Rule) ([]*Checked, error) {
	var (
		out  []*Checked
		errs []error
	)
	seen := make(map[string]bool, len(rules))
	cross := setProblems(rules)
	for i, r := range rules {
		c, probs := check(r, i)
		for _, p := range cross {
			if p.index == i {
				probs = append(probs, p.problem)
			}
		}
		if r.ID != "" && seen[r.ID] {
			probs = append(probs, problem{"id", errors.New("duplicate id")})
		}
		seen[r.ID] = true
		for _, p := range probs {
			errs = append(errs, fmt.Errorf("rule %d (%s): %w", i, r.ID, p.err))
		}
		if len(probs) == 0 {
			out = append(out, c)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// check checks r and prepares it. It reports every problem it finds.
func check(r Rule, index int) (*Checked, []problem) {
	c := &Checked{Index: index}
	var probs []problem
	bad := func(key, format string, args ...any) {
		probs = append(probs, problem{key, fmt.Errorf(format, args...)})
	}
	if r.ID == "" {
		bad("id", "empty id")
	}
	stateful := 0
	for _, set := range []bool{r.Count != nil, r.Sequence != nil, r.Absence != nil} {
		if set {
			stateful++
		}
	}
	if stateful > 1 {
		bad("id", "count, sequence and absence exclude each other: a rule has at most one")
	}
	if r.Absence != nil {
		probs = append(probs, checkAbsence(r)...)
	} else {
		if !r.Severity.Valid() {
			bad("severity", "severity %q: want red, orange, yellow or blue", r.Severity)
		}
		if len(r.Types) == 0 {
			bad("types", "no event types")
		}
		ttl, err := ParseTemplate(r.Title)
		if err != nil {
			probs = append(probs, problem{"title", err})
		}
		c.Heading = ttl
	}
	for _, typ := range r.Types {
		probs = append(probs, checkType("types", "event type", typ)...)
		if slices.Contains(r.Clears, typ) {
			bad("clears", "event type %q both raises and clears", typ)
		}
	}
	for _, typ := range r.Clears {
		probs = append(probs, checkType("clears", "clearing event type", typ)...)
	}
	for _, k := range r.Kinds {
		if !k.Valid() {
			bad("kinds", "device kind %q: want lightbox, camera, reader or io", k)
		}
	}
	for _, id := range r.Devices {
		if !registry.ValidID(id) {
			bad("devices", "device id %q: want [A-Za-z0-9._-]{1,64}", id)
		}
	}
	for _, id := range r.Grids {
		if !registry.ValidID(id) {
			bad("grids", "grid id %q: want [A-Za-z0-9._-]{1,64}", id)
		}
	}
	if strings.TrimSpace(r.When) != "" {
		p, err := compileWhen(r.When)
		if err != nil {
			probs = append(probs, problem{"when", err})
		}
		c.Cond = p
	}
	if r.Count != nil {
		probs = append(probs, c.checkCount(r.Count)...)
	}
	if r.Sequence != nil {
		probs = append(probs, c.checkSequence(r)...)
	}
	probs = append(probs, checkFor(r)...)
	probs = append(probs, c.checkFlap(r)...)
	probs = append(probs, checkInhibit(r)...)
	probs = append(probs, checkCommands(r)...)
	r.Types, r.Kinds, r.Clears = slices.Clone(r.Types), slices.Clone(r.Kinds), slices.Clone(r.Clears)
	r.Devices, r.Grids = slices.Clone(r.Devices), slices.Clone(r.Grids)
	r.InhibitedBy = cloneInhibitions(r.InhibitedBy)
	r.Commands = cloneCommands(r.Commands)
	if r.Flap != nil {
		f := *r.Flap
		r.Flap = &f
	}
	c.Rule = r
	return c, probs
}

// checkType checks an event type or a glob of them.
func checkType(key, what, typ string) []problem {
	switch {
	case typ == "":
		return []problem{{key, fmt.Errorf("empty %s", what)}}
	case strings.TrimSpace(typ) != typ:
		return []problem{{key, fmt.Errorf("%s %q has spaces around it", what, typ)}}
	}
	if _, err := path.Match(typ, ""); err != nil {
		return []problem{{key, fmt.Errorf("%s %q: bad glob", what, typ)}}
	}
	return nil
}

func checkAbsence(r Rule) []problem {
	var probs []problem
	a := r.Absence
	if a.After < 0 {
		probs = append(probs, problem{"absence", fmt.Errorf("absence after %v: want a positive duration", time.Duration(a.After))})
	}
	if a.Factor != 0 && (a.Factor < 1 || a.Factor > 1.5) {
		probs = append(probs, problem{"absence", fmt.Errorf("absence factor %v: want 1.0 to 1.5 (never earlier than one heartbeat, at the latest one and a half)", a.Factor)})
	}
	if a.Factor != 0 && a.After != 0 {
		probs = append(probs, problem{"absence", errors.New("absence: give factor or after, not both")})
	}
	if r.Severity != "" || r.Title != "" || len(r.Clears) > 0 {
		probs = append(probs, problem{"absence", errors.New("an absence rule raises nothing itself (it emits device.offline and device.online): drop severity, title and clears")})
	}
	return probs
}

func (c *Checked) checkCount(n *Count) []problem {
	var probs []problem
	if n.AtLeast < 1 {
		probs = append(probs, problem{"count", fmt.Errorf("count at_least %d: want 1 or more", n.AtLeast)})
	}
	if n.AtLeast > MaxCount {
		probs = append(probs, problem{"count", fmt.Errorf("count at_least %d: want at most %d", n.AtLeast, MaxCount)})
	}
	if n.Within <= 0 {
		probs = append(probs, problem{"count", fmt.Errorf("count within %v: want a positive duration", time.Duration(n.Within))})
	}
	return append(probs, c.setKey("count", n.By)...)
}

func (c *Checked) checkSequence(r Rule) []problem {
	var probs []problem
	s := r.Sequence
	if len(s.Then) == 0 {
		probs = append(probs, problem{"sequence", errors.New("sequence: no then event types")})
	}
	for _, typ := range s.Then {
		probs = append(probs, checkType("sequence", "then event type", typ)...)
		if slices.Contains(r.Types, typ) {
			probs = append(probs, problem{"sequence", fmt.Errorf("sequence: %q both starts and ends it (for repeats use count)", typ)})
		}
	}
	if s.Within <= 0 {
		probs = append(probs, problem{"sequence", fmt.Errorf("sequence within %v: want a positive duration", time.Duration(s.Within))})
	}
	return append(probs, c.setKey("sequence", s.By)...)
}

// MaxCount bounds at_least and flap's at_most, and so the times one key
// keeps.
const MaxCount = 1000

func (c *Checked) setKey(key, by string) []problem {
	switch strings.TrimSpace(by) {
	case "", "device":
		c.KeyBy = ByDevice
	case "grid":
		c.KeyBy = ByGrid
	default:
		p, err := compileKey(by)
		if err != nil {
			return []problem{{key, err}}
		}
		c.KeyBy, c.KeyExpr = ByExpr, p
	}
	return nil
}

// checkFor checks for: and what else rides on a rule's raise/clear
// lifecycle.
func checkFor(r Rule) []problem {
	var probs []problem
	if r.For != 0 {
		switch {
		case r.For < 0 || time.Duration(r.For) > MaxFor:
			probs = append(probs, problem{"for", fmt.Errorf("for %v: want a positive duration up to %v", time.Duration(r.For), MaxFor)})
		case len(r.Clears) == 0:
			probs = append(probs, problem{"for", errors.New("for needs clears: the event types that end the condition")})
		case r.Count != nil || r.Sequence != nil || r.Absence != nil:
			probs = append(probs, problem{"for", errors.New("for does not go with count, sequence or absence")})
		}
	}
	return probs
}

// MaxFor bounds for:.
const MaxFor = 7 * 24 * time.Hour

// DefaultFlapTitle is the flapping alarm's title when Flap names none.
const DefaultFlapTitle = "{{device}} 告警反复切换"

func (c *Checked) checkFlap(r Rule) []problem {
	f := r.Flap
	if f == nil {
		return nil
	}
	var probs []problem
	bad := func(format string, args ...any) { probs = append(probs, problem{"flap", fmt.Errorf(format, args...)}) }
	if len(r.Clears) == 0 {
		bad("flap needs clears: it counts raise/clear toggles")
	}
	if r.Absence != nil {
		bad("flap does not go with absence (put it on the rule that raises device.offline)")
	}
	if f.AtMost < 1 || f.AtMost > MaxCount {
		bad("flap at_most %d: want 1 to %d", f.AtMost, MaxCount)
	}
	if f.Within <= 0 {
		bad("flap within %v: want a positive duration", time.Duration(f.Within))
	}
	if f.Severity != "" && !f.Severity.Valid() {
		bad("flap severity %q: want red, orange, yellow or blue", f.Severity)
	}
	src := f.Title
	if src == "" {
		src = DefaultFlapTitle
	}
	t, err := ParseTemplate(src)
	if err != nil {
		probs = append(probs, problem{"flap", err})
	}
	c.FlapHeading = t
	return probs
}
