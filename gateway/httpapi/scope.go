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
