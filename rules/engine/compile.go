package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// compiled is a checked rule with what the engine keeps for it.
type compiled struct {
	rulefile.Checked
	devices map[string]struct{}
	state   *ruleState // nil for plain rules
	// hash identifies the rule's definition (see definitionHash): state
	// carries over a reload, and a snapshot restores, only to a rule
	// whose id and hash are unchanged.
	hash string
	// forMS is For in milliseconds; flapMS is Flap.Within.
	forMS, flapMS int64
	// inhibitors are inhibited_by, resolved.
	inhibitors []inhibitor
	// swept is when Tick last finished sweeping the rule's idle keys;
	// sweeping says a sweep is under way, in instalments, with sweepLeft
	// keys still to look at.
	swept     int64
	sweeping  bool
	sweepLeft int
}

// newCompiled prepares a checked rule for matching.
func newCompiled(ch *rulefile.Checked) *compiled {
	c := &compiled{Checked: *ch, hash: definitionHash(ch.Rule), forMS: time.Duration(ch.For).Milliseconds()}
	if ch.Flap != nil {
		c.flapMS = time.Duration(ch.Flap.Within).Milliseconds()
	}
	if len(ch.Devices) > 0 {
		c.devices = make(map[string]struct{}, len(ch.Devices))
		for _, id := range ch.Devices {
			c.devices[id] = struct{}{}
		}
	}
	return c
}

// definitionHash is a digest of the rule's canonical form: its JSON
// encoding (fields in declaration order, map keys sorted), so two rules
// with the same id and hash mean exactly the same thing.
func definitionHash(r rulefile.Rule) string {
	b, err := json.Marshal(r)
	if err != nil {
		return "" // cannot happen for a checked rule; an empty hash matches nothing carried over
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

func isGlob(typ string) bool { return strings.ContainsAny(typ, `*?[\`) }

// plain reports whether the rule keeps no state.
func (c *compiled) plain() bool {
	return c.Count == nil && c.Sequence == nil && c.Absence == nil
}
