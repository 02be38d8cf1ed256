package httpapi

import (
	"slices"

	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// sees reports whether who may see alarm a: they serve its cell or one
// above it (the console and config accounts serve every cell), or they
// were paged for it, the same scope the permission table gives acting on
// it.
func sees(reg *registry.Registry, who permit.Caller, a *alarm.Alarm) bool {
	return permit.ServesCell(reg, who, a.Grid) ||
		slices.ContainsFunc(a.Pages, func(p alarm.Page) bool { return p.Staff == who.ID })
}

// touches reports whether scope (a cell, "" the whole site) and the cells
// who serves overlap: the scope is the whole site, one of their cells or
// above it, or lies below one. A broadcast or an emergency of that scope
// concerns them.
func touches(reg *registry.Registry, who permit.Caller, scope string) bool {
	if scope == "" || permit.ServesCell(reg, who, scope) {
		return true
	}
	st, ok := reg.Staff(who.ID)
	return ok && slices.ContainsFunc(st.Grids, func(g string) bool { return reg.InSubtree(g, scope) })
}

// seesSilence reports whether a silence concerns who: it covers the whole
// site (no grids, no devices), a cell that touches theirs, or a device in
// a cell they serve.
func seesSilence(reg *registry.Registry, who permit.Caller, s Silence) bool {
	if len(s.Grids) == 0 && len(s.Devices) == 0 {
		return true
	}
	return slices.ContainsFunc(s.Grids, func(g string) bool { return touches(reg, who, g) }) ||
		slices.ContainsFunc(s.Devices, func(id string) bool {
			d, ok := reg.Device(id)
			return ok && permit.ServesCell(reg, who, d.Grid)
		})
}
