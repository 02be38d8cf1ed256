package httpapi

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// place is the answer of GET /api/v1/places/{id} (id: an alarm's): where an alarm
// is, in the words a person on the way there needs.
type place struct {
	Alarm  string `json:"alarm"`
	Device string `json:"device"`
	// DeviceName is the device's name in the registry (often its
	// address); Address is its attrs.address when the registry has one.
	DeviceName string          `json:"device_name,omitempty"`
	Address    string          `json:"address,omitempty"`
	Location   *event.Location `json:"location,omitempty"`
	Grid       string          `json:"grid"`
	GridName   string          `json:"grid_name,omitempty"`
	// GridPath is the cell and its ancestors, root first: 莲花社区 ›
	// 莲花四级网格7.
	GridPath []gridName `json:"grid_path"`
	Cameras  []string   `json:"cameras,omitempty"`
}

// handlePlace serves GET /api/v1/places/{id}, to whoever may see
// the alarm (as GET /api/v1/alarms/{id}).
func (s *Server) handlePlace(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	id := r.PathValue("id")
	if err := checkAlarmID(id); err != nil {
		writeRequestError(w, err)
		return
	}
	a, ok, err := s.cfg.Alarms.Get(id)
	reg := s.registry()
	switch {
	case err != nil:
		s.deskError(w, r, err)
		return
	case !ok:
		writeError(w, http.StatusNotFound, "no alarm %q", id)
		return
	case !sees(reg, caller, &a):
		s.refuse(w, r, http.StatusForbidden, refusedForbidden, "",
			fmt.Sprintf("%s was not paged for alarm %s and does not serve its cell %q or a cell above it", caller.ID, id, a.Grid))
		return
	}
	writeJSON(w, http.StatusOK, placeOf(reg, id, a.Device, a.Grid, a.Location))
}

// placeOf describes device dev of cell grid from the registry; loc is
// the alarm's own location, used when the registry has none.
func placeOf(reg *registry.Registry, alarmID, dev, grid string, loc *event.Location) place {
	p := place{Alarm: alarmID, Device: dev, Grid: grid, Location: loc}
	if d, ok := reg.Device(dev); ok {
		p.DeviceName, p.Address, p.Cameras = d.Name, d.Attrs["address"], d.Cameras
		if d.Location != nil {
			p.Location = d.Location
		}
	}
	p.GridPath = gridPath(reg, grid)
	if n := len(p.GridPath); n > 0 {
		p.GridName = p.GridPath[n-1].Name
	}
	return p
}

// gridPath is cell grid and the cells above it, by name, root first
// (莲花社区 › 莲花四级网格7); empty, not nil, for a cell the registry lacks.
func gridPath(reg *registry.Registry, grid string) []gridName {
	path := []gridName{}
	for _, g := range slices.Backward(reg.Ancestors(grid)) {
		path = append(path, gridName{ID: g.ID, Name: g.Name})
	}
	return path
}
