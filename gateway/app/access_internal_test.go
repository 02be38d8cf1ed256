package app

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// TestCardViewStatuses: the API's card list answers access's refusals with
// 403 and 404, and the cards as the API shows them. (Which cards whom is
// gateway/access's TestCards.)
func TestCardViewStatuses(t *testing.T) {
	reg, err := registry.Parse("cards.yaml", []byte(`
grids:
  - {id: lianhua, name: 莲花社区, level: 3}
staff:
  - {id: room1, role: security_room, grids: [lianhua]}
  - {id: wang,  role: grid_member, grids: [lianhua]}
devices:
  - {id: rd-0001, kind: reader, grid: lianhua, osdp: {port: /dev/ttyUSB0, address: 1}}
  - {id: lb-0001, kind: lightbox, grid: lianhua}
cards:
  - {card: "300", facility: 68, name: 王芳, doors: [rd-0001], until: 2027-01-01T00:00:00+08:00}
`))
	if err != nil {
		t.Fatal(err)
	}
	v := cardView{reg: func() *registry.Registry { return reg }, now: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }}
	for _, tc := range []struct {
		door, by string
		code     int
	}{{"", "wang", http.StatusForbidden}, {"lb-0001", "room1", http.StatusNotFound}, {"rd-0001", "room1", 0}} {
		got, err := v.Cards(tc.door, permit.Staff(tc.by))
		var se *statusError
		switch {
		case tc.code != 0 && (!errors.As(err, &se) || se.HTTPStatus() != tc.code):
			t.Errorf("%s by %s: error %v, want status %d", tc.door, tc.by, err, tc.code)
		case tc.code == 0 && (err != nil || len(got) != 1 || got[0].Card != "300" || got[0].Facility != 68 ||
			got[0].Name != "王芳" || got[0].Until.Year() != 2027 || len(got[0].Doors) != 1):
			t.Errorf("%s by %s: %+v, %v", tc.door, tc.by, got, err)
		}
	}
}
