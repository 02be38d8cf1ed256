// Package testsite holds the registry fixtures that tests share, so a site
// is written once and a test adds only what is its own (its devices). Tests
// may import it from anywhere; code must not.
package testsite

// lianhua is the grid tree of the fixtures: the Lianhua community (level 3)
// with one block grid, lh-g4-07 (level 4).
const lianhua = `
grids:
  - {id: lianhua,  name: 莲花社区, level: 3}
  - {id: lh-g4-07, name: 莲花四级网格7, level: 4, parent: lianhua}
staff:
  - {id: wang,  name: 王芳, role: grid_member, grids: [lh-g4-07]}
  - {id: room1, name: 莲花监控室, role: security_room, grids: [lianhua]}
`

// Cell is lianhua and lh-g4-07 with the two people a red alarm's first step
// pages by default: the grid member wang (lh-g4-07) and the security room
// room1 (lianhua). It ends with "devices:"; a test appends its own device
// lines (see Lightbox).
const Cell = lianhua + "devices:\n"

// Ladder is Cell with one person on every further rung of an escalation,
// all in lianhua: the grid leader zhao, the police officer li and the
// command centre cmd1. It ends with "devices:" like Cell.
const Ladder = lianhua + `  - {id: zhao,  name: 赵强, role: grid_leader, grids: [lianhua]}
  - {id: li,    name: 李警官, role: police, grids: [lianhua]}
  - {id: cmd1,  name: 白羽指挥中心, role: command_center, grids: [lianhua]}
devices:
`

// Lightbox is the registry line of a light box in lh-g4-07, to append to
// Cell or Ladder. extra is more of the device's flow mapping
// ("heartbeat: 20s"), or "".
func Lightbox(id, name, extra string) string {
	line := "  - {id: " + id + ", kind: lightbox, grid: lh-g4-07, name: " + name
	if extra != "" {
		line += ", " + extra
	}
	return line + "}\n"
}
