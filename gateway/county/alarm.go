// Package county is the county view: every site's open alarms, summaries
// and statuses, rebuilt from the county cluster's retained state and
// followed on its event stream (gateway/countywire); KPIs per grid and
// site, site health, and the county's requests to a site and the site's
// replies.
//
// The view keeps nothing on disk: all it knows comes from the cluster,
// so any number of views may run side by side and any of them may stop.
package county

import (
	"slices"
	"strings"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Key names an alarm across the county: alarm ids are unique per site
// only.
type Key struct {
	Site, ID string
}

// String is the county id of the alarm, "{site}/{id}", as the API shows
// it.
func (k Key) String() string { return k.Site + "/" + k.ID }

// ParseKey reads a county alarm id, "{site}/{id}".
func ParseKey(s string) (Key, bool) {
	site, id, ok := strings.Cut(s, "/")
	if !ok || !validSiteID(site) || !validAlarmID(id) {
		return Key{}, false
	}
	return Key{Site: site, ID: id}, true
}

// Alarm is one site's alarm as the county shows it: the site's own state
// of it (as the site's GET /api/v1/alarms/{id} returns it) with the
// county's fields.
type Alarm struct {
	alarm.Alarm
	// ID is the county id, "{site}/{id}" (it hides the site's id, which
	// is SiteAlarmID).
	ID          string `json:"id"`
	SiteAlarmID string `json:"site_alarm_id"`
	Site        string `json:"site"`
	// GridPath is the alarm's cell and its ancestors' ids, the cell
	// first; GridNames their names.
	GridPath   []string `json:"grid_path,omitempty"`
	GridNames  []string `json:"grid_names,omitempty"`
	DeviceName string   `json:"device_name,omitempty"`
	// LastStep is the lifecycle step of the last record applied
	// (countywire.Step*); Seq its sequence number at the site.
	LastStep string `json:"last_step"`
	Seq      uint64 `json:"seq"`
	// UpdatedMS is when that step happened at the site (Unix ms).
	UpdatedMS int64 `json:"updated_ms"`
}

// Key is the alarm's county key.
func (a *Alarm) Key() Key { return Key{Site: a.Site, ID: a.SiteAlarmID} }

// InGrid reports whether grid is the alarm's cell or one above it.
func (a *Alarm) InGrid(grid string) bool {
	return a.Alarm.Grid == grid || slices.Contains(a.GridPath, grid)
}

// clone copies a so that the caller may keep it while the view changes.
func (a *Alarm) clone() Alarm {
	c := *a
	c.Timeline = slices.Clone(a.Timeline)
	c.Pages = slices.Clone(a.Pages)
	c.Notified = slices.Clone(a.Notified)
	c.GridPath = slices.Clone(a.GridPath)
	c.GridNames = slices.Clone(a.GridNames)
	return c
}

// validSiteID is the registry's id syntax: 1 to 64 of A-Z a-z 0-9 . _ -.
func validSiteID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '.' || r == '_' || r == '-' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// validAlarmID accepts what a site's alarm id may be: printable, no
// slash, at most 128 bytes.
func validAlarmID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == '/' || r == 0x7f {
			return false
		}
	}
	return true
}
