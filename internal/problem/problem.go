// Package problem is the one shape of "what is wrong with this input file"
// that the config, the registry and the rule files report: every problem
// at once, each with its file, line and subject, so an installer can fix a
// file in one pass.
package problem

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with an input: where it is and what.
type Problem struct {
	File    string // the file; empty for a value built in code
	Line    int    // 1-based; 0 when the problem has no line
	Subject string // what is wrong: "device lb-0001", "http.auth", a rule id; may be empty
	Msg     string // the problem, e.g. `unknown grid "lh-g4-99"`
}

// String formats the problem as FILE:LINE: SUBJECT: MSG, leaving out the
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
	if p.Subject != "" {
		b.WriteString(p.Subject)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Errors is every problem found in one input. Use errors.As to get at the
// list.
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

// Sorted orders the problems by line, those without a line last, keeping
// the order they were found in within a line, and wraps them; it returns
// nil for none.
func Sorted(probs []Problem) error {
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
