// Package event holds the nouns every other gridwatch package speaks: the
// normalised device Event, Telemetry, presence changes, Commands, the
// rule engine's Trigger, staff Actions and escalation Notifications, and the
// typed Reason an input is rejected for.
//
// It imports only the standard library. Everything depends on it; it
// depends on nothing.
package event
