package httpapi

import (
	"net/http"
	"slices"

	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/gateway/permit"
)

// deviceList is the answer of GET /api/v1/devices.
type deviceList struct {
	Devices []devices.Status `json:"devices"`
	// Counts is how many devices are in each state.
	Counts map[string]int `json:"counts"`
}

// handleDevices serves GET /api/v1/devices: the devices of the cells the
// caller serves (unregistered devices sit in no cell: the whole-site
// callers see them).
func (s *Server) handleDevices(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	if len(r.URL.RawQuery) > 0 {
		writeError(w, http.StatusBadRequest, "%s takes no query parameters", r.URL.Path)
		return
	}
	list := s.cfg.Devices.List()
	if reg := s.registry(); !permit.ServesCell(reg, caller, "") {
		list = slices.DeleteFunc(slices.Clone(list), func(d devices.Status) bool { return !permit.ServesCell(reg, caller, d.Grid) })
	}
	out := deviceList{Devices: list, Counts: map[string]int{
		devices.Online: 0, devices.Offline: 0, devices.Unknown: 0, devices.Unregistered: 0,
	}}
	if out.Devices == nil {
		out.Devices = []devices.Status{}
	}
	for _, d := range list {
		out.Counts[d.State]++
	}
	writeJSON(w, http.StatusOK, out)
}
