package telemetry

import "github.com/gridwatch/gridwatch/gateway/registry"

// Grid levels of the ancestor tags: a level-3 cell is a community
// (社区), a level-4 cell a block grid (网格).
const (
	levelCommunity = 3
	levelBlock     = 4
)

// GridLevels returns the ids of the level-3 and level-4 cells at or above
// gridID in r, "" for a level the cell has none at (or for an unknown
// cell, or a nil r). It suits Config.Levels:
//
//	Levels: func(id string) (string, string) { return telemetry.GridLevels(reg.Get(), id) }
func GridLevels(r *registry.Registry, gridID string) (l3, l4 string) {
	if r == nil {
		return "", ""
	}
	for _, g := range r.Ancestors(gridID) {
		switch g.Level {
		case levelCommunity:
			if l3 == "" {
				l3 = g.ID
			}
		case levelBlock:
			if l4 == "" {
				l4 = g.ID
			}
		}
	}
	return l3, l4
}

// levels resolves the ancestor tags of gridID with Config.Levels, if set.
func (w *Writer) levels(gridID string) (l3, l4 string) {
	if w.cfg.Levels == nil || gridID == "" {
		return "", ""
	}
	return w.cfg.Levels(gridID)
}

// tagSet returns the tags whose value is not empty (InfluxDB has no empty
// tag values). kv alternates names and values.
func tagSet(kv ...string) map[string]string {
	tags := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			tags[kv[i]] = kv[i+1]
		}
	}
	return tags
}
