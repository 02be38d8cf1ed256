package registry

import (
	"cmp"
	"slices"
	"strconv"
	"time"
)

// Door is the door an OSDP reader guards: its lock, contact and
// request-to-exit inputs. Zero values take the driver's defaults (lock 5 s,
// contact input 0 active = open, REX input 1, held open after 30 s).
type Door struct {
	LockTime    time.Duration `yaml:"lock_time,omitempty" json:"lock_time,omitempty"`
	HeldOpen    time.Duration `yaml:"held_open,omitempty" json:"held_open,omitempty"`
	Contact     int           `yaml:"contact,omitempty" json:"contact,omitempty"`
	ContactOpen string        `yaml:"contact_open,omitempty" json:"contact_open,omitempty"` // active | inactive
	REX         *int          `yaml:"rex,omitempty" json:"rex,omitempty"`                   // -1: none
	REXUnlocks  bool          `yaml:"rex_unlocks,omitempty" json:"rex_unlocks,omitempty"`
	PollInputs  int           `yaml:"poll_inputs,omitempty" json:"poll_inputs,omitempty"`
}

// Card is one access card of the site's card list. A reader with a door
// grants it when the card is listed for that reader (Doors) or for a cell
// the reader lies under (Grids), is not blocked, and is valid today.
type Card struct {
	Card     string    `yaml:"card" json:"card"`                             // the decimal card number
	Facility int       `yaml:"facility,omitempty" json:"facility,omitempty"` // 0: any facility code
	Name     string    `yaml:"name,omitempty" json:"name,omitempty"`
	Doors    []string  `yaml:"doors,omitempty" json:"doors,omitempty"`
	Grids    []string  `yaml:"grids,omitempty" json:"grids,omitempty"`
	Block    bool      `yaml:"block,omitempty" json:"block,omitempty"` // lost, stolen, revoked
	From     time.Time `yaml:"from,omitempty" json:"from,omitzero"`
	Until    time.Time `yaml:"until,omitempty" json:"until,omitzero"`
}

// Cards returns the site's cards with this number (usually one; several
// when facility codes differ).
func (r *Registry) Cards(number string) []*Card { return r.cards[number] }

// CardList returns every card, by card number and then facility code.
func (r *Registry) CardList() []*Card {
	var out []*Card
	for _, cs := range r.cards {
		out = append(out, cs...)
	}
	slices.SortFunc(out, func(a, b *Card) int {
		return cmp.Or(cmp.Compare(a.Card, b.Card), cmp.Compare(a.Facility, b.Facility))
	})
	return out
}

// CardCount is how many cards the registry lists.
func (r *Registry) CardCount() int {
	n := 0
	for _, c := range r.cards {
		n += len(c)
	}
	return n
}

// validateCards checks card numbers and where each card opens.
func (d *decoder) validateCards(list []entry[Card], grids map[string]*entry[Grid], devices map[string]*entry[Device]) {
	seen := map[string]int{}
	for i := range list {
		c, s := &list[i].v, &list[i].spot
		switch {
		case c.Card == "":
			d.add(s.line, s.subject, "card missing")
		case !digits(c.Card) || len(c.Card) > 20:
			d.add(s.lineOf("card"), s.subject, "card %q: want its decimal number", c.Card)
		}
		key := c.Card + "/" + strconv.Itoa(c.Facility)
		if first, dup := seen[key]; dup {
			d.add(s.lineOf("card"), s.subject, "listed twice (first at line %d)", first)
		}
		seen[key] = s.lineOf("card")
		if c.Facility < 0 || c.Facility > 65535 {
			d.add(s.lineOf("facility"), s.subject, "facility %d: want 0..65535", c.Facility)
		}
		if !c.Block && len(c.Doors) == 0 && len(c.Grids) == 0 {
			d.add(s.line, s.subject, "opens nothing: give doors or grids (or block: true)")
		}
		for _, id := range c.Doors {
			if e := devices[id]; e == nil || e.v.OSDP == nil {
				d.add(s.lineOf("doors"), s.subject, "door %q is not an OSDP reader of the registry", id)
			}
		}
		for _, g := range c.Grids {
			if grids[g] == nil {
				d.add(s.lineOf("grids"), s.subject, "unknown grid %q", g)
			}
		}
		if !c.From.IsZero() && !c.Until.IsZero() && !c.Until.After(c.From) {
			d.add(s.lineOf("until"), s.subject, "until %s is not after from %s", c.Until.Format(time.DateOnly), c.From.Format(time.DateOnly))
		}
	}
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
