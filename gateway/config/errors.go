package config

import "github.com/gridwatch/gridwatch/internal/problem"

// Problem is one thing wrong with a configuration: where and what (Subject
// is the key path, e.g. "http.auth" or "escalation.red.steps[1].after").
type Problem = problem.Problem

// Errors is every problem found in a configuration. Load and Validate
// return it as *Errors; use errors.As to get at the list.
type Errors = problem.Errors

// newErrors orders the problems by line, those without a line last, and
// wraps them; it returns nil for none.
func newErrors(probs []Problem) error { return problem.Sorted(probs) }
