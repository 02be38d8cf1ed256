package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a configuration: where and what.
type Problem struct {
	File string // the config file; empty for a Config built in code
	Line int    // 1-based; 0 when the value did not come from a file line
	Key  string // the key path, e.g. "http.auth" or "escalation.red.steps[1].after"
	Msg  string
}

// String formats the problem as FILE:LINE: KEY: MSG, leaving out the
// parts it lacks.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	}
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Errors is every problem found in a configuration. Load and Validate
// return it as *Errors; use errors.As to get at the list.
type Errors struct {
	Problems []Problem
}

// Error joins the problems, one per line.
func (e *Errors) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// newErrors orders the problems by line, those without a line last, and
// wraps them; it returns nil for none.
func newErrors(probs []Problem) error {
	if len(probs) == 0 {
		return nil
	}
	rank := func(p Problem) int {
		if p.Line == 0 {
			return int(^uint(0) >> 1)
		}
		return p.Line
	}
	sort.SliceStable(probs, func(i, j int) bool { return rank(probs[i]) < rank(probs[j]) })
	return &Errors{Problems: probs}
}
