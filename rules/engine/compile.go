package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

// keyBy says what a stateful rule keys its state by.
type keyBy int

const (
	byDevice keyBy = iota
	byGrid
	byExpr
)

// compiled is a rule checked and prepared for matching.
type compiled struct {
	Rule
	index   int // position in the rule set; triggers come in this order
	title   title
	devices map[string]struct{}
	when    *vm.Program
	by      keyBy
	key     *vm.Program
	state   *ruleState // nil for plain rules
	// hash identifies the rule's definition (see definitionHash): state
	// carries over a reload, and a snapshot restores, only to a rule
	// whose id and hash are unchanged.
	hash string
	// forMS is For in milliseconds.
	forMS int64
	// flapTitle and flapMS are Flap's title and window.
	flapTitle title
	flapMS    int64
	// inhibitors are inhibited_by, resolved.
	inhibitors []inhibitor
	// swept is when Tick last finished sweeping the rule's idle keys;
	// sweeping says a sweep is under way, in instalments, with sweepLeft
	// keys still to look at.
	swept     int64
	sweeping  bool
	sweepLeft int
}

// compile checks r and prepares it. It reports every problem it finds.
func compile(r Rule, index int) (*compiled, []problem) {
	c := &compiled{index: index}
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
		ttl, err := parseTitle(r.Title)
		if err != nil {
			probs = append(probs, problem{"title", err})
		}
		c.title = ttl
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
		c.when = p
	}
	if r.Count != nil {
		probs = append(probs, c.checkCount(r.Count)...)
	}
	if r.Sequence != nil {
		probs = append(probs, c.checkSequence(r)...)
	}
	probs = append(probs, checkLife(r)...)
	probs = append(probs, c.checkFlap(r)...)
	probs = append(probs, checkInhibit(r)...)
	probs = append(probs, checkCommands(r)...)
	if len(r.Devices) > 0 {
		c.devices = make(map[string]struct{}, len(r.Devices))
		for _, id := range r.Devices {
			c.devices[id] = struct{}{}
		}
	}
	r.Types, r.Kinds, r.Clears = slices.Clone(r.Types), slices.Clone(r.Kinds), slices.Clone(r.Clears)
	r.Devices, r.Grids = slices.Clone(r.Devices), slices.Clone(r.Grids)
	r.InhibitedBy = cloneInhibitions(r.InhibitedBy)
	r.Commands = cloneCommands(r.Commands)
	if r.Flap != nil {
		f := *r.Flap
		r.Flap = &f
	}
	c.Rule = r
	c.hash = definitionHash(r)
	c.forMS = time.Duration(r.For).Milliseconds()
	return c, probs
}

// definitionHash is a digest of the rule's canonical form: its JSON
// encoding (fields in declaration order, map keys sorted), so two rules
// with the same id and hash mean exactly the same thing.
func definitionHash(r Rule) string {
	b, err := json.Marshal(r)
	if err != nil {
		return "" // cannot happen for a checked rule; an empty hash matches nothing carried over
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
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

func isGlob(typ string) bool { return strings.ContainsAny(typ, `*?[\`) }

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

func (c *compiled) checkCount(n *Count) []problem {
	var probs []problem
	if n.AtLeast < 1 {
		probs = append(probs, problem{"count", fmt.Errorf("count at_least %d: want 1 or more", n.AtLeast)})
	}
	if n.AtLeast > maxCount {
		probs = append(probs, problem{"count", fmt.Errorf("count at_least %d: want at most %d", n.AtLeast, maxCount)})
	}
	if n.Within <= 0 {
		probs = append(probs, problem{"count", fmt.Errorf("count within %v: want a positive duration", time.Duration(n.Within))})
	}
	return append(probs, c.setKey("count", n.By)...)
}

func (c *compiled) checkSequence(r Rule) []problem {
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

// maxCount bounds at_least, and so the times one count key keeps.
const maxCount = 1000

func (c *compiled) setKey(key, by string) []problem {
	switch strings.TrimSpace(by) {
	case "", "device":
		c.by = byDevice
	case "grid":
		c.by = byGrid
	default:
		p, err := compileKey(by)
		if err != nil {
			return []problem{{key, err}}
		}
		c.by, c.key = byExpr, p
	}
	return nil
}

// plain reports whether the rule keeps no state.
func (c *compiled) plain() bool {
	return c.Count == nil && c.Sequence == nil && c.Absence == nil
}
