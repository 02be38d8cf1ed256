package registry

import "github.com/gridwatch/gridwatch/internal/problem"

// Problem is one thing wrong with a registry file: where it is and what
// (Subject is e.g. "device lb-0001").
type Problem = problem.Problem

// Errors is every problem Parse found in one file, in line order. Parse and
// Load return it as *Errors; use errors.As to get at the list.
type Errors = problem.Errors

// newErrors orders the problems by line and wraps them; nil for none.
func newErrors(probs []Problem) error { return problem.Sorted(probs) }
