package engine

// inhibitor is one resolved inhibited_by entry: a rule whose raised alarm
// mutes this one on the same device, or in the same cell.
type inhibitor struct {
	rule *compiled
	grid bool
}

// resolveInhibitors links each rule's inhibited_by to the compiled rules.
func (e *Engine) resolveInhibitors() {
	byID := make(map[string]*compiled, len(e.rules))
	for _, r := range e.rules {
		byID[r.ID] = r
	}
	for _, r := range e.rules {
		for _, in := range r.InhibitedBy {
			for _, id := range in.Rules {
				if o := byID[id]; o != nil && o.life() != nil {
					r.inhibitors = append(r.inhibitors, inhibitor{rule: o, grid: in.Scope == "grid"})
				}
			}
		}
	}
}

// inhibitedBy returns the id of a rule whose raised alarm mutes r on
// device (in cell), or "".
func inhibitedBy(r *compiled, device, cell string) string {
	for _, in := range r.inhibitors {
		l := in.rule.life()
		if in.grid {
			if cell != "" && l.inGrid[cell] > 0 {
				return in.rule.ID
			}
		} else if l.isActive(device) {
			return in.rule.ID
		}
	}
	return ""
}
