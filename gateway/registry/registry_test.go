package registry

import (
	"slices"
	"strings"
	"testing"
)

// tree is a two-branch grid tree with staff at several levels:
//
//	county(1) ── street(2) ── comm(3) ─┬─ blockA(4) ── compound(5)
//	                                   └─ blockB(4)
const tree = `grids:
  - {id: county, level: 1}
  - {id: street, level: 2, parent: county}
  - {id: comm, level: 3, parent: street}
  - {id: blockA, level: 4, parent: comm}
  - {id: blockB, level: 4, parent: comm}
  - {id: compound, level: 5, parent: blockA}
staff:
  - {id: m1, role: grid_member, grids: [blockA]}
  - {id: m2, role: grid_member, grids: [blockA]}
  - {id: m3, role: grid_member, grids: [compound]}
  - {id: p1, role: police, grids: [comm]}
  - {id: c1, role: command_center, grids: [street]}
  - {id: multi, role: grid_leader, grids: [blockB, compound]}
devices:
  - {id: d1, kind: lightbox, grid: compound}
`

func mustParse(t *testing.T, text string) *Registry {
	t.Helper()
	r, err := Parse("tree.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ids[T any](list []*T, id func(*T) string) []string {
	out := []string{}
	for _, v := range list {
		out = append(out, id(v))
	}
	return out
}

func gridIDs(gs []*Grid) []string { return ids(gs, func(g *Grid) string { return g.ID }) }

func TestAncestors(t *testing.T) {
	r := mustParse(t, tree)
	for _, c := range []struct {
		grid string
		want []string
	}{
		{"compound", []string{"compound", "blockA", "comm", "street", "county"}},
		{"blockB", []string{"blockB", "comm", "street", "county"}},
		{"county", []string{"county"}},
		{"nope", []string{}},
		{"", []string{}},
	} {
		if got := gridIDs(r.Ancestors(c.grid)); !slices.Equal(got, c.want) {
			t.Errorf("Ancestors(%q) = %v, want %v", c.grid, got, c.want)
		}
	}
}

func TestInSubtree(t *testing.T) {
	r := mustParse(t, tree)
	for _, c := range []struct {
		grid, root string
		want       bool
	}{
		{"compound", "compound", true},
		{"compound", "blockA", true},
		{"compound", "county", true},
		{"compound", "blockB", false},
		{"blockA", "compound", false}, // a parent is not below its child
		{"nope", "county", false},
		{"county", "nope", false},
	} {
		if got := r.InSubtree(c.grid, c.root); got != c.want {
			t.Errorf("InSubtree(%q, %q) = %v, want %v", c.grid, c.root, got, c.want)
		}
	}
}

func TestNearest(t *testing.T) {
	r := mustParse(t, tree)
	staffIDs := func(s []*Staff) []string { return ids(s, func(s *Staff) string { return s.ID }) }
	for _, c := range []struct {
		grid      string
		role      Role
		wantGrid  string
		wantStaff []string
	}{
		{"compound", GridMember, "compound", []string{"m3"}}, // the cell itself first
		{"blockA", GridMember, "blockA", []string{"m1", "m2"}},
		{"blockB", GridMember, "", nil}, // nobody on the way up
		{"compound", Police, "comm", []string{"p1"}},
		{"compound", CommandCenter, "street", []string{"c1"}},
		{"blockA", GridLeader, "", nil}, // multi serves blockB and compound, both off the path
		{"compound", GridLeader, "compound", []string{"multi"}},
		{"compound", SecurityRoom, "", nil},
		{"nope", Police, "", nil},
	} {
		g, s := r.Nearest(c.grid, c.role)
		gotGrid := ""
		if g != nil {
			gotGrid = g.ID
		}
		var gotStaff []string
		if s != nil {
			gotStaff = staffIDs(s)
		}
		if gotGrid != c.wantGrid || !slices.Equal(gotStaff, c.wantStaff) {
			t.Errorf("Nearest(%q, %s) = %q %v, want %q %v", c.grid, c.role, gotGrid, gotStaff, c.wantGrid, c.wantStaff)
		}
	}
}

func TestServes(t *testing.T) {
	r := mustParse(t, tree)
	for _, c := range []struct {
		staff, grid string
		want        bool
	}{
		{"p1", "compound", true}, // comm is an ancestor
		{"p1", "comm", true},
		{"p1", "street", false}, // above their cell
		{"m1", "blockB", false}, // a sibling
		{"multi", "blockB", true},
		{"multi", "compound", true},
		{"multi", "blockA", false},
		{"c1", "nope", false},
	} {
		s, ok := r.Staff(c.staff)
		if !ok {
			t.Fatalf("staff %q missing", c.staff)
		}
		if got := r.Serves(s, c.grid); got != c.want {
			t.Errorf("Serves(%s, %q) = %v, want %v", c.staff, c.grid, got, c.want)
		}
	}
}

func TestListsSorted(t *testing.T) {
	r := mustParse(t, tree)
	want := []string{"blockA", "blockB", "comm", "compound", "county", "street"}
	if got := gridIDs(r.Grids()); !slices.Equal(got, want) {
		t.Errorf("Grids() = %v, want %v", got, want)
	}
	wantStaff := []string{"c1", "m1", "m2", "m3", "multi", "p1"}
	if got := ids(r.StaffList(), func(s *Staff) string { return s.ID }); !slices.Equal(got, wantStaff) {
		t.Errorf("StaffList() = %v, want %v", got, wantStaff)
	}
}

func TestGroups(t *testing.T) {
	const ok = `
grids: [{id: lianhua, name: 莲花社区, level: 3}]
staff:
  - {id: li, name: 李警官, role: police, grids: [lianhua]}
  - {id: wu, name: 吴警官, role: police, grids: [lianhua]}
groups:
  - {id: night-duty, name: 夜班, staff: [li, wu]}
`
	reg, err := Parse("r.yaml", []byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	if g, found := reg.Group("night-duty"); !found || g.Name != "夜班" || len(g.Staff) != 2 {
		t.Fatalf("group: %+v %v", g, found)
	}
	const bad = `
grids: [{id: lianhua, name: 莲花社区, level: 3}]
staff:
  - {id: li, name: 李警官, role: police, grids: [lianhua]}
groups:
  - {id: night-duty, staff: [li, ghost, li]}
  - {id: empty, staff: []}
`
	_, err = Parse("r.yaml", []byte(bad))
	for _, want := range []string{`r.yaml:6: group night-duty: unknown staff "ghost"`, `r.yaml:6: group night-duty: staff "li" listed twice`,
		`r.yaml:7: group empty: staff missing`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in:\n%v", want, err)
		}
	}
}
