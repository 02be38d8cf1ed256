package permit

import (
	"slices"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/registry"
)

const site = `
grids:
  - {id: baiyu,    name: 白羽街道,     level: 2}
  - {id: lianhua,  name: 莲花社区,     level: 3, parent: baiyu}
  - {id: lh-g4-07, name: 莲花四级网格7, level: 4, parent: lianhua}
  - {id: hehua,    name: 荷花社区,     level: 3}
staff:
  - {id: member, name: 王芳,   role: grid_member,    grids: [lianhua]}
  - {id: leader, name: 赵强,   role: grid_leader,    grids: [lianhua]}
  - {id: police, name: 李警官, role: police,         grids: [lianhua]}
  - {id: room,   name: 监控室, role: security_room,  grids: [lianhua]}
  - {id: cmd,    name: 指挥,   role: command_center, grids: [lianhua]}
  - {id: chief,  name: 总指挥, role: command_center, grids: [baiyu, hehua]}
devices:
  - {id: lb-0001, kind: lightbox, grid: lh-g4-07, name: 莲花路12号}
`

// targets, in the order of the decisions in TestTable: the caller's own
// cell, a cell below it, the cell above it, another root, the whole site,
// and another root's alarm the caller was paged for.
var targets = []Target{
	{Grid: "lianhua"}, {Grid: "lh-g4-07"}, {Grid: "baiyu"}, {Grid: "hehua"}, {Grid: ""}, {Grid: "hehua", Paged: true},
}

// TestTable checks every (caller's role, action, target) decision: y may,
// n may not.
func TestTable(t *testing.T) {
	reg, err := registry.Parse("site.yaml", []byte(site))
	if err != nil {
		t.Fatal(err)
	}
	callers := map[string]Caller{
		"member": Staff("member"), "leader": Staff("leader"), "police": Staff("police"), "room": Staff("room"),
		"cmd": Staff("cmd"), "chief": Staff("chief"), "console": Console, "ghost": Staff("ghost"),
		"admin": AccountCaller("admin", Admin), "fitter": AccountCaller("fitter", Installer),
	}
	const (
		local   = "yynnny" // serves lianhua, or was paged
		all     = "yyyyyy"
		none    = "nnnnnn"
		cell    = "yynnnn" // serves lianhua only
		chiefly = "yyyyny" // both roots, but an alarm of the whole site is in no cell
	)
	want := map[Action]map[string]string{
		Act:        {"member": local, "leader": local, "police": local, "room": local, "cmd": local, "chief": chiefly, "console": all, "ghost": none, "admin": all, "fitter": none},
		Emergency:  {"member": none, "leader": none, "police": none, "room": cell, "cmd": cell, "chief": all, "console": all, "ghost": none, "admin": all, "fitter": none},
		Audit:      {"member": none, "leader": none, "police": none, "room": all, "cmd": all, "chief": all, "console": all, "ghost": none, "admin": all, "fitter": none},
		Cards:      {"member": none, "leader": none, "police": none, "room": cell, "cmd": cell, "chief": all, "console": all, "ghost": none, "admin": all, "fitter": none},
		Rules:      {"member": none, "leader": none, "police": none, "room": all, "cmd": all, "chief": all, "console": all, "ghost": none, "admin": all, "fitter": none},
		Silence:    {"member": none, "leader": none, "police": none, "room": cell, "cmd": cell, "chief": all, "console": all, "ghost": none, "admin": all, "fitter": all},
		Broadcast:  {"member": none, "leader": cell, "police": none, "room": cell, "cmd": cell, "chief": all, "console": all, "ghost": none, "admin": all, "fitter": none},
		Command:    {"member": none, "leader": none, "police": none, "room": cell, "cmd": none, "chief": none, "console": all, "ghost": none, "admin": all, "fitter": all},
		Commission: {"member": none, "leader": none, "police": none, "room": cell, "cmd": none, "chief": none, "console": all, "ghost": none, "admin": all, "fitter": all},
	}
	if len(want) != len(Table) {
		t.Fatalf("the test covers %d actions, the table has %d", len(want), len(Table))
	}
	for a, row := range want {
		if len(row) != len(callers) {
			t.Fatalf("%s: %d callers in the test, want %d", a, len(row), len(callers))
		}
		for name, decisions := range row {
			for i, tg := range targets {
				err := Check(reg, callers[name], a, tg)
				if got := err == nil; got != (decisions[i] == 'y') {
					t.Errorf("%s %s %+v: allowed %v, want %c (%v)", name, a, tg, got, decisions[i], err)
				}
			}
		}
	}
}

// TestEveryRoleInTable keeps the table to roles the registry knows.
func TestEveryRoleInTable(t *testing.T) {
	for a, r := range Table {
		for _, role := range r.Roles {
			if !role.Valid() {
				t.Errorf("%s: unknown role %q", a, role)
			}
		}
	}
}

func TestRefusalSaysWhy(t *testing.T) {
	reg, err := registry.Parse("site.yaml", []byte(site))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		who  Caller
		a    Action
		tg   Target
		want string
	}{
		{Staff("member"), Emergency, Target{Grid: "lianhua"}, "member is grid_member; only security_room or command_center may switch emergency mode"},
		{Staff("ghost"), Rules, Target{}, `"ghost" is not a staff member`},
		{Staff("room"), Emergency, Target{}, `the whole site: room does not serve root cell "baiyu"`},
		{Staff("room"), Broadcast, Target{Grid: "hehua"}, "room does not serve cell hehua or a cell above it"},
		{Staff("member"), Act, Target{Grid: "hehua"}, `member was not paged for it and does not serve cell "hehua" or a cell above it`},
		{AccountCaller("fitter", Installer), Act, Target{Grid: "lianhua"}, "fitter is installer; an installer may not act on alarms"},
	} {
		err := Check(reg, tc.who, tc.a, tc.tg)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s %s %+v: %v, want %q", tc.who.ID, tc.a, tc.tg, err, tc.want)
		}
	}
	if !ServesCell(reg, Console, "hehua") || ServesCell(reg, Staff("room"), "hehua") || !ServesCell(reg, Staff("room"), "lh-g4-07") {
		t.Error("ServesCell disagrees with the grid tree")
	}
	if !ServesCell(reg, AccountCaller("fitter", Installer), "hehua") || Role(reg, AccountCaller("fitter", Installer)) != "installer" ||
		Role(reg, Staff("member")) != "grid_member" || Role(reg, Console) != "security_room" {
		t.Error("config accounts serve every cell; roles are shown as the account's, the staff member's, the console's")
	}
	if slices.Contains([]string{Staff("x").ID}, ConsoleID) || !Console.IsConsole() || Staff(ConsoleID).IsConsole() {
		t.Error("only Console is the console")
	}
}
