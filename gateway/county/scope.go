package county

import (
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// Sees reports whether who, of the county's registry reg, sees alarm a:
// the config accounts and staff who serve a root cell of the county see
// every alarm; other staff see the alarms at or below their cells (a
// cell on the alarm's grid path).
func Sees(reg *registry.Registry, who permit.Caller, a *Alarm) bool {
	if who.WholeSite() {
		return true
	}
	st, ok := reg.Staff(who.ID)
	if !ok {
		return false
	}
	for _, g := range st.Grids {
		if cell, ok := reg.Grid(g); ok && cell.Parent == "" || a.InGrid(g) {
			return true
		}
	}
	return false
}
