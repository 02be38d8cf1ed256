package httpapi

import (
	"encoding/json"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/registry"
)

// placeSite is the tests' site with the two alarms' light boxes: lb-0001
// in li's cell with an address and coordinates, lb-0002 in ma's with a
// name only.
const placeSite = testSite + `devices:
  - {id: lb-0001, kind: lightbox, grid: lh-g4-07, name: 莲花路12号, location: {lat: 33.3, lon: 111.49},
     cameras: [cam-0001], attrs: {address: 莲花路12号东门}}
  - {id: cam-0001, kind: camera, grid: lh-g4-07}
  - {id: lb-0002, kind: lightbox, grid: lh-g4-08, name: 莲花路8号}
`

func TestPlace(t *testing.T) {
	reg, err := registry.Parse("site.yaml", []byte(placeSite))
	if err != nil {
		t.Fatal(err)
	}
	ls := newLoginSite(t, nil)
	ls.reg.Store(reg)
	c, _ := ls.login(t, "li", liPassword)

	rec := ls.do(t, req{method: "GET", path: "/api/v1/places/A0001", cookie: c})
	var p place
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &p) != nil {
		t.Fatalf("li's alarm's place: %d %s", rec.Code, rec.Body)
	}
	if p.Alarm != "A0001" || p.Device != "lb-0001" || p.DeviceName != "莲花路12号" || p.Address != "莲花路12号东门" ||
		p.Location == nil || p.Location.Lat != 33.3 || p.Location.Lon != 111.49 || p.GridName != "莲花四级网格7" ||
		len(p.Cameras) != 1 || p.Cameras[0] != "cam-0001" {
		t.Errorf("place %+v", p)
	}
	if want := []gridName{{"lianhua", "莲花社区"}, {"lh-g4-07", "莲花四级网格7"}}; len(p.GridPath) != 2 || p.GridPath[0] != want[0] || p.GridPath[1] != want[1] {
		t.Errorf("grid path %+v, want %+v (root first)", p.GridPath, want)
	}

	for _, tc := range []struct {
		name string
		q    req
		code int
	}{
		{"another cell's alarm", req{method: "GET", path: "/api/v1/places/A0002", cookie: c}, 403},
		{"no such alarm", req{method: "GET", path: "/api/v1/places/A0404", cookie: c}, 404},
		{"no session", req{method: "GET", path: "/api/v1/places/A0001"}, 401},
		{"the security room sees both", req{method: "GET", path: "/api/v1/places/A0002", token: wangToken}, 200},
	} {
		if rec := ls.do(t, tc.q); rec.Code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.name, rec.Code, rec.Body, tc.code)
		}
	}
}
