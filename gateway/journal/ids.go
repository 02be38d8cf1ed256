package journal

// Event IDs never repeat in the life of a data directory: see doc.go. The
// journal starts above the alarm store's checkpoint (Options.Applied) and
// its reservation (Options.Reserved), reports a journal that ends below
// the checkpoint, and reserves IDs in blocks before it writes them.

import "fmt"

// checkLoss reports a journal that ends below Options.Applied: events the
// alarm store applied (and devices saw acknowledged) are gone from it.
func (j *Journal) checkLoss() {
	if j.last >= j.applied {
		return
	}
	lost := j.applied - j.last
	j.met.lost.Add(float64(lost))
	if j.last == 0 {
		j.log.Error("JOURNAL LOST: it holds no events, but the alarm store applied events up to this ID; "+
			"the directory was deleted or emptied. Those events are gone from the journal (their alarms are in the alarm store); "+
			"new events get IDs above it and raise alarms as usual",
			"applied_id", j.applied, "lost_events", lost)
		return
	}
	j.log.Error("JOURNAL LOST ITS TAIL: it ends below the last event the alarm store applied; "+
		"the events in between are gone from the journal (their alarms are in the alarm store); "+
		"new events get IDs above it and raise alarms as usual",
		"journal_last_id", j.last, "applied_id", j.applied, "lost_events", lost)
}

// tryReserve reserves IDs up to through. A reservation that cannot be
// stored (the alarm store's disk is full) is logged, once until one
// succeeds, and does not stop the journal: refusing presses would be worse
// than the double fault it guards against (this, and later the loss of the
// journal's tail). The next batch beyond the reservation tries again.
func (j *Journal) tryReserve(through uint64) {
	err := j.reserveThrough(through)
	switch {
	case err != nil && !j.reserveFailed:
		j.log.Error("event IDs not reserved; events are still journaled, the reservation is retried with the next batch", "err", err)
		j.reserveFailed = true
	case err == nil && j.reserveFailed:
		j.log.Info("event IDs reserved again", "through", through)
		j.reserveFailed = false
	}
}

// reserveThrough records through Options.Reserve that IDs up to through
// may be handed out.
func (j *Journal) reserveThrough(through uint64) error {
	if err := j.reserve(through); err != nil {
		return fmt.Errorf("journal: reserve event IDs up to %d: %w", through, err)
	}
	j.reserved = through
	return nil
}
