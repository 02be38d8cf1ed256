package county

import (
	"testing"

	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

func TestSees(t *testing.T) {
	reg, err := registry.Parse("county", []byte(`
grids:
  - {id: qx, name: 青秀区, level: 1}
  - {id: street-1, name: 莲花街道, level: 3, parent: qx}
staff:
  - {id: cmd1, name: 指挥中心, role: command_center, grids: [qx]}
  - {id: pol1, name: 街道民警, role: police, grids: [street-1]}
`))
	if err != nil {
		t.Fatal(err)
	}
	in := Alarm{Site: "lianhua", GridPath: []string{"lh-g1", "lh", "street-1"}}
	out := Alarm{Site: "jinhu", GridPath: []string{"jh-g1", "jh", "street-2"}}
	for _, tc := range []struct {
		who  permit.Caller
		a    Alarm
		want bool
	}{
		{permit.Staff("cmd1"), in, true},
		{permit.Staff("cmd1"), out, true}, // serves the county's root
		{permit.Staff("pol1"), in, true},
		{permit.Staff("pol1"), out, false},
		{permit.Staff("nobody"), in, false},
		{permit.AccountCaller("boss", permit.Admin), out, true},
	} {
		if got := Sees(reg, tc.who, &tc.a); got != tc.want {
			t.Errorf("Sees(%s, %s) = %v; want %v", tc.who.ID, tc.a.Site, got, tc.want)
		}
	}
}
