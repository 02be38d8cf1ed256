package county

import (
	"cmp"
	"slices"

	"github.com/gridwatch/gridwatch/gateway/countywire"
)

// SiteEmergency is where emergency mode (扁平化) is on at a site, as its
// summaries told the county (countywire.Emergency).
type SiteEmergency struct {
	// On says at least one scope is on.
	On bool `json:"on"`
	// Scopes are the scopes on, by grid id ("" is the whole site).
	Scopes []countywire.EmergencyScope `json:"scopes"`
	// AsOfMS is the site time of the summary that told it.
	AsOfMS int64 `json:"as_of_ms"`
	// Stale says the county cannot vouch that it is still so: the site
	// is offline, its summaries stopped coming (SiteHealth.Stale), or
	// its latest summary did not tell (a gateway that could not read its
	// switches). The scopes are the last known ones, never dropped for
	// that.
	Stale bool `json:"stale"`
}

// emergencyState is what a site's summaries told of emergency mode.
type emergencyState struct {
	scopes []countywire.EmergencyScope
	asOf   int64
	// untold: the newest summary did not carry it (the scopes are older).
	untold bool
}

// maxScopeText bounds the strings of a scope the view keeps.
const maxScopeText = 256

// takeEmergency keeps what the site's newest summary (at site time at)
// says of emergency mode: a summary without it keeps the last known
// scopes, marked untold; a site that never told has none. s.mu is held.
func (st *site) takeEmergency(e *countywire.Emergency, at int64) {
	if e == nil {
		if st.emergency != nil {
			st.emergency.untold = true
		}
		return
	}
	kept := make([]countywire.EmergencyScope, 0, min(len(e.Scopes), countywire.MaxEmergencyScopes))
	for _, sc := range e.Scopes {
		if len(kept) == countywire.MaxEmergencyScopes {
			break
		}
		if len(sc.Grid) > maxScopeText || len(sc.GridName) > maxScopeText || len(sc.By) > maxScopeText {
			continue
		}
		kept = append(kept, sc)
	}
	slices.SortFunc(kept, func(a, b countywire.EmergencyScope) int { return cmp.Compare(a.Grid, b.Grid) })
	st.emergency = &emergencyState{scopes: kept, asOf: at}
}

// emergencyHealth is st's emergency mode for its health; stale is
// whether the county has lost sight of the site. s.mu is held.
func (st *site) emergencyHealth(stale bool) *SiteEmergency {
	e := st.emergency
	if e == nil {
		return nil
	}
	return &SiteEmergency{On: len(e.scopes) > 0, Scopes: slices.Clone(e.scopes), AsOfMS: e.asOf, Stale: stale || e.untold}
}
