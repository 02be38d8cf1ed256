package alarm

// EntryRepaged is a timeline line for staff paged again: a step's repeat
// while nobody acknowledged (Note "repeat"), or the chain of an
// acknowledged alarm nobody arrived at in time (Note "no arrival").
const EntryRepaged EntryKind = "repaged"

// Reasons of EntryRepaged entries.
const (
	RepageRepeat    = "repeat"
	RepageNoArrival = "no arrival"
)
