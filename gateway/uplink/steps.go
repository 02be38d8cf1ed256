package uplink

import (
	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Steps are the lifecycle steps of an alarm's change: one per timeline
// entry of cur beyond the first seen, in order. seen < 0 is an alarm the
// county has not seen: every entry of its timeline. A change that added
// no entry (a mute, a clip) is one StepChanged; no change at all (same)
// is no step.
//
// A timeline shorter than seen is an alarm a crash set back (the desk
// shows a change before it is stored, and replays what it had not
// stored): the county gets the state as it is now (StepChanged), and
// steps again only for entries beyond what it was told, so that none is
// told twice.
func Steps(seen int, cur alarm.Alarm, same bool) []string {
	return stepsOf(seen, entrySteps(cur), same)
}

// entrySteps is the county step of each of a's timeline entries, in order.
func entrySteps(a alarm.Alarm) []string {
	out := make([]string, len(a.Timeline))
	for i, e := range a.Timeline {
		out[i] = stepOf(e.Kind)
	}
	return out
}

// stepsOf is Steps on the steps of the timeline's entries (entrySteps).
func stepsOf(seen int, entries []string, same bool) []string {
	from := min(max(seen, 0), len(entries))
	out := append([]string(nil), entries[from:]...)
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
