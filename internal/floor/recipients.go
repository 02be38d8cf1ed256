package floor

import "github.com/gridwatch/gridwatch/gateway/registry"

// Recipient is who the relay pages for a light box's press, and the cell
// the page names.
type Recipient struct {
	Staff string
	Grid  string
}

// Recipients maps every light box of reg to one person gridwatchd would
// page at step 0 of its panic alarm under the default policy: the first
// grid member serving its cell, else the first security room. Boxes with
// neither are left out (the relay ignores their presses).
func Recipients(reg *registry.Registry) map[string]Recipient {
	out := map[string]Recipient{}
	for _, d := range reg.Devices() {
		if d.Kind != registry.Lightbox {
			continue
		}
		if s := first(reg, d.Grid, registry.GridMember); s != "" {
			out[d.ID] = Recipient{Staff: s, Grid: d.Grid}
		} else if s := first(reg, d.Grid, registry.SecurityRoom); s != "" {
			out[d.ID] = Recipient{Staff: s, Grid: d.Grid}
		}
	}
	return out
}

func first(reg *registry.Registry, grid string, role registry.Role) string {
	for _, s := range reg.StaffList() {
		if s.Role == role && reg.Serves(s, grid) {
			return s.ID
		}
	}
	return ""
}
