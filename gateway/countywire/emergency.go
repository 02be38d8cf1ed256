package countywire

// Emergency is where emergency mode (扁平化) is on at a site: every scope
// switched on, by whom and when, as the site's escalation desk holds it
// when the Summary carrying it is queued. A site sends a Summary at once
// whenever a scope is switched (besides the periodic ones), and the
// summary is retained, so a county view that starts late knows too.
//
// A Summary without it (Summary.Emergency nil) comes from a gateway that
// predates it or could not read its switches: the county does not know,
// which is not "off". An empty Scopes says off everywhere.
type Emergency struct {
	Scopes []EmergencyScope `json:"scopes"`
}

// EmergencyScope is one scope in emergency mode.
type EmergencyScope struct {
	// Grid is the root cell of the scope, in the site's own grid ids;
	// SiteWide ("") is the whole site.
	Grid string `json:"grid"`
	// GridName is the cell's name (empty for the whole site).
	GridName string `json:"grid_name,omitempty"`
	// By is the staff member who switched it on.
	By string `json:"by"`
	// AtMS is when it was switched on (Unix ms, the gateway's clock).
	AtMS int64 `json:"at_ms"`
}

// SiteWide is the Grid of an EmergencyScope over the whole site.
const SiteWide = ""

// MaxEmergencyScopes is the most scopes a county view keeps of one
// site (a site has no more scopes than grid cells, and one more).
const MaxEmergencyScopes = 1000
