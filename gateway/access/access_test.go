package access

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/osdp"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

const cardSite = `
grids:
  - {id: baiyu,    name: 白羽街道, level: 2}
  - {id: lianhua,  name: 莲花社区, level: 3, parent: baiyu}
  - {id: hehua,    name: 荷花社区, level: 3, parent: baiyu}
staff:
  - {id: room1, role: security_room, grids: [lianhua]}
  - {id: cmd1,  role: command_center, grids: [baiyu]}
  - {id: wang,  role: grid_member, grids: [lianhua]}
devices:
  - {id: rd-0001, kind: reader, grid: lianhua, osdp: {port: /dev/ttyUSB0, address: 1}}
  - {id: rd-0002, kind: reader, grid: hehua, osdp: {port: /dev/ttyUSB0, address: 2}}
  - {id: lb-0001, kind: lightbox, grid: lianhua}
cards:
  - {card: "300", name: 王芳, doors: [rd-0001]}
  - {card: "100", name: 保洁, grids: [lianhua], until: 2026-01-01T00:00:00+08:00}
  - {card: "200", name: 丢失, grids: [lianhua], block: true}
  - {card: "400", name: 荷花, doors: [rd-0002]}
  - {card: "500", name: 全街道, grids: [baiyu]}
`

func TestCards(t *testing.T) {
	reg, err := registry.Parse("cards.yaml", []byte(cardSite))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	numbers := func(cs []*registry.Card) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Card)
		}
		return out
	}
	for _, tc := range []struct {
		name, door, by string
		console        bool
		want           []string
		refusal        error
	}{
		{"all, the local console", "", "", true, []string{"100", "200", "300", "400", "500"}, nil},
		{"command centre sees the street", "", "cmd1", false, []string{"100", "200", "300", "400", "500"}, nil},
		{"security room sees its community", "", "room1", false, []string{"100", "200", "300"}, nil},
		{"what opens rd-0001 today (100 expired, 200 blocked)", "rd-0001", "room1", false, []string{"300", "500"}, nil},
		{"another community's reader", "rd-0002", "room1", false, nil, ErrForbidden},
		{"grid member", "", "wang", false, nil, ErrForbidden},
		{"not a reader", "lb-0001", "cmd1", false, nil, ErrNoReader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			who := permit.Staff(tc.by)
			if tc.console {
				who = permit.Console
			}
			got, err := Cards(reg, who, tc.door, now)
			switch {
			case tc.refusal != nil && !errors.Is(err, tc.refusal):
				t.Fatalf("error %v, want %v", err, tc.refusal)
			case tc.refusal == nil && err != nil:
				t.Fatal(err)
			case tc.refusal == nil && !slices.Equal(numbers(got), tc.want):
				t.Fatalf("cards %v, want %v", numbers(got), tc.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	reg, err := registry.Parse("cards.yaml", []byte(cardSite+`  - {card: "600", grids: [lianhua], from: 2027-01-01T00:00:00+08:00}
`))
	if err != nil {
		t.Fatal(err)
	}
	l := List{Registry: func() *registry.Registry { return reg }}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		door, card string
		grant      bool
		reason     string
	}{
		{"rd-0001", "300", true, ""},
		{"rd-0001", "500", true, ""}, // by the street above the reader's cell
		{"rd-0001", "100", false, osdp.DenyExpired},
		{"rd-0001", "200", false, osdp.DenyBlocked},
		{"rd-0001", "600", false, osdp.DenyNotValid},
		{"rd-0001", "400", false, DenyNotHere},
		{"rd-0001", "999", false, osdp.DenyUnknown},
		{"rd-0009", "300", false, osdp.DenyUnknown},
	} {
		d := l.Decide(tc.door, osdp.Card{Number: tc.card}, now)
		if d.Grant != tc.grant || d.Reason != tc.reason {
			t.Errorf("card %s at %s: %+v, want grant %v reason %q", tc.card, tc.door, d, tc.grant, tc.reason)
		}
	}
}
