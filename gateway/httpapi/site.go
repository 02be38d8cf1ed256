package httpapi

import (
	"net/http"
	"slices"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// site is the answer of GET /api/v1/site: the registry as a screen draws
// it (names, the grid tree, where each device stands), cut down to the
// caller's cells, and what the caller may do.
type site struct {
	Grids   []siteGrid   `json:"grids"`
	Devices []siteDevice `json:"devices"`
	Staff   []siteStaff  `json:"staff"`
	// May lists the actions of the permission table the caller's role
	// allows (on the cells they serve), so a screen shows only the forms
	// that can succeed.
	May []permit.Action `json:"may"`
	// County is true in county mode: the alarms are every site's, and
	// broadcast and emergency are the county's (POST
	// /api/v1/county/broadcasts and /api/v1/county/emergency).
	County bool `json:"county,omitempty"`
}

// siteGrid is a cell the caller serves (or one below).
type siteGrid struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Level  int    `json:"level"`
	Parent string `json:"parent,omitempty"`
	// Path is the names from the root down to this cell (the cell last),
	// the cells above it included even when the caller does not serve them.
	Path []gridName `json:"path"`
}

// siteDevice is a registered device of a cell the caller serves. It
// carries no credentials and no bus or stream settings.
type siteDevice struct {
	ID   string        `json:"id"`
	Kind registry.Kind `json:"kind"`
	Grid string        `json:"grid"`
	Name string        `json:"name,omitempty"`
	// Address is the registry's attrs.address of the device, if any.
	Address  string          `json:"address,omitempty"`
	Location *event.Location `json:"location,omitempty"`
	Cameras  []string        `json:"cameras,omitempty"`
}

// siteStaff is a person whose cells touch the caller's: who may be paged
// for the alarms the caller sees. No phone number, no credential.
type siteStaff struct {
	ID    string        `json:"id"`
	Name  string        `json:"name"`
	Role  registry.Role `json:"role"`
	Grids []string      `json:"grids"`
}

// siteActions are the actions May may list, in the table's order.
var siteActions = []permit.Action{
	permit.Act, permit.Broadcast, permit.Silence, permit.Emergency, permit.Rules, permit.Audit, permit.Cards,
	permit.Command, permit.Commission,
}

// handleSite serves GET /api/v1/site.
func (s *Server) handleSite(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	if len(r.URL.RawQuery) > 0 {
		writeError(w, http.StatusBadRequest, "%s takes no query parameters", r.URL.Path)
		return
	}
	reg := s.registry()
	out := site{Grids: []siteGrid{}, Devices: []siteDevice{}, Staff: []siteStaff{}, May: []permit.Action{}, County: s.cfg.County != nil}
	for _, g := range reg.Grids() {
		if !permit.ServesCell(reg, caller, g.ID) {
			continue
		}
		out.Grids = append(out.Grids, siteGrid{ID: g.ID, Name: g.Name, Level: g.Level, Parent: g.Parent, Path: gridPath(reg, g.ID)})
	}
	for _, d := range reg.Devices() {
		if !permit.ServesCell(reg, caller, d.Grid) {
			continue
		}
		out.Devices = append(out.Devices, siteDevice{
			ID: d.ID, Kind: d.Kind, Grid: d.Grid, Name: d.Name, Address: d.Attrs["address"],
			Location: d.Location, Cameras: d.Cameras,
		})
	}
	for _, st := range reg.StaffList() {
		if slices.ContainsFunc(st.Grids, func(g string) bool { return touches(reg, caller, g) }) {
			out.Staff = append(out.Staff, siteStaff{ID: st.ID, Name: st.Name, Role: st.Role, Grids: st.Grids})
		}
	}
	for _, a := range siteActions {
		if s.offers(a) && permit.CheckRole(reg, caller, a) == nil {
			out.May = append(out.May, a)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// offers reports whether this server serves the endpoints of action a.
func (s *Server) offers(a permit.Action) bool {
	if s.cfg.County != nil { // county mode: acting on alarms, and the county's fan-out to sites
		return a == permit.Act || a == permit.Emergency || a == permit.Broadcast
	}
	switch a {
	case permit.Emergency, permit.Audit:
		return s.cfg.Oversight != nil
	case permit.Broadcast:
		return s.cfg.Broadcasts != nil
	case permit.Silence, permit.Rules:
		return s.cfg.Rules != nil
	case permit.Cards:
		return s.cfg.Cards != nil
	case permit.Command:
		return s.cfg.Commands != nil
	case permit.Commission:
		return s.cfg.Commissioning != nil
	}
	return true
}
