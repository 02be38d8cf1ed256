package registry

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a registry file: where it is and what.
type Problem struct {
	File    string // the file name given to Parse or Load
	Line    int    // 1-based; 0 when the problem has no line
	Subject string // what is wrong, e.g. "device lb-0001"; may be empty
	Msg     string // the problem, e.g. `unknown grid "lh-g4-99"`
}

// String formats the problem as FILE:LINE: SUBJECT: MSG.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Subject != "" {
		b.WriteString(p.Subject)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Errors is every problem Parse found in one file, in line order. Parse and
// Load return it as *Errors; use errors.As to get at the list.
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

// newErrors sorts the problems by line (stable, so problems on one line keep
// the order they were found in) and wraps them; it returns nil for none.
func newErrors(probs []Problem) error {
	if len(probs) == 0 {
		return nil
	}
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
	return &Errors{Problems: probs}
}
