// Package window keeps the per-key state of the rule engine's stateful
// conditions: sliding count windows (at least N events within a span),
// pending sequence starts (A, then B within a span) and supervision
// deadlines (no sign of life by a time). Keys are strings chosen by the
// caller (a device id, a grid id, a card number); times are Unix
// milliseconds chosen by the caller too, so nothing here reads a clock.
//
// Memory is bounded: a count key holds at most N+1 times, a sequence key
// one, a deadline key one; every structure has a key limit, and keys that
// can no longer matter are evicted by Sweep. None of the types is safe for
// concurrent use: each belongs to the one goroutine that owns the engine.
package window
