package countywire

// MaxOpenIDs bounds OpenAlarms.IDs: a site with more open alarms sends
// its Summary without the list.
const MaxOpenIDs = 2000

// OpenAlarms is the set of a site's open alarms as its own event stream
// has told them: every alarm whose records, up to the Summary record
// that carries this set, leave it open. It is taken at the moment the
// Summary is queued, in the same order as the alarm records, so for a
// Summary with seq S:
//
//   - an alarm listed here is open as of S (its raising record has a
//     lower seq);
//   - an alarm whose latest record has a seq lower than S and that is
//     not listed here was closed before S, even if its closing record
//     or its emptied retained alarm/{id} never reached the reader.
//
// A county view uses it as positive evidence that an alarm closed; it
// never concludes that from an absent retained message alone.
type OpenAlarms struct {
	// IDs are the site's alarm ids, in no particular order.
	IDs []string `json:"ids"`
}
