package uplink

import (
	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Steps are the lifecycle steps of an alarm's change: one per timeline
// entry of cur beyond the first seen (the timeline only grows), in order.
// seen < 0 is an alarm the county has not seen: every entry of its
// timeline. A change that added no entry (a mute, a clip) is one
// StepChanged; no change at all (same) is no step.
func Steps(seen int, cur alarm.Alarm, same bool) []string {
	from := max(seen, 0)
	if from > len(cur.Timeline) { // not the same alarm's history: start over
		from = 0
	}
	var out []string
	for _, e := range cur.Timeline[from:] {
		out = append(out, stepOf(e.Kind))
	}
	if len(out) == 0 && seen < 0 {
		out = append(out, countywire.StepRaised)
	}
	if len(out) == 0 && !same {
		out = append(out, countywire.StepChanged)
	}
	return out
}

// stepOf maps a timeline entry to its county step.
func stepOf(k alarm.EntryKind) string {
	switch k {
	case alarm.EntryRaised:
		return countywire.StepRaised
	case alarm.EntryJoined:
		return countywire.StepJoined
	case alarm.EntryNotified, alarm.EntryRepaged:
		return countywire.StepPaged
	case alarm.EntryDelivered:
		return countywire.StepDelivered
	case alarm.EntryFallback:
		return countywire.StepFallback
	case alarm.EntryPageFailed:
		return countywire.StepFailed
	case alarm.EntryAck:
		return countywire.StepAck
	case alarm.EntryArrive:
		return countywire.StepArrive
	case alarm.EntryResolve:
		return countywire.StepResolve
	case alarm.EntryCleared:
		return countywire.StepCleared
	}
	return countywire.StepChanged
}
