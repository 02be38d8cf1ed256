package access

import (
	"time"

	"github.com/gridwatch/gridwatch/drivers/osdp"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// DenyNotHere is the denial of a card that is known, but not for this door.
const DenyNotHere = "not_permitted_here"

// List decides at the reader from the registry's cards.
type List struct {
	Registry func() *registry.Registry
}

var _ osdp.Decider = List{}

// Decide says whether card c opens the reader device at now, and if not
// why: an unknown card, or one blocked, not for this door, not valid yet,
// or expired. Of several cards with one number, one that opens the door
// wins.
func (l List) Decide(device string, c osdp.Card, now time.Time) osdp.Decision {
	reg := l.Registry()
	dev, ok := reg.Device(device)
	if !ok {
		return osdp.Decision{Reason: osdp.DenyUnknown}
	}
	var known bool
	for _, card := range reg.Cards(c.Number) {
		if card.Facility != 0 && card.Facility != c.Facility {
			continue
		}
		known = true
		switch why := Refusal(reg, card, dev, now); why {
		case "":
			return osdp.Decision{Grant: true}
		case DenyNotHere:
			continue // another card of this number may be for this door
		default:
			return osdp.Decision{Reason: why}
		}
	}
	if known {
		return osdp.Decision{Reason: DenyNotHere}
	}
	return osdp.Decision{Reason: osdp.DenyUnknown}
}

// Refusal says why card does not open the reader dev at now ("" when it
// does): blocked, not for this door, not valid yet, or expired.
func Refusal(reg *registry.Registry, card *registry.Card, dev *registry.Device, now time.Time) string {
	switch {
	case card.Block:
		return osdp.DenyBlocked
	case !opens(reg, card, dev):
		return DenyNotHere
	case !card.From.IsZero() && now.Before(card.From):
		return osdp.DenyNotValid
	case !card.Until.IsZero() && !now.Before(card.Until):
		return osdp.DenyExpired
	}
	return ""
}

// opens reports whether a card is listed for the reader or a cell above it.
func opens(reg *registry.Registry, card *registry.Card, dev *registry.Device) bool {
	for _, id := range card.Doors {
		if id == dev.ID {
			return true
		}
	}
	for _, g := range card.Grids {
		if reg.InSubtree(dev.Grid, g) {
			return true
		}
	}
	return false
}

// Door is a registry door in the OSDP driver's terms; its card list stays
// empty, since List decides.
func Door(d *registry.Door) *osdp.Door {
	if d == nil {
		return nil
	}
	return &osdp.Door{LockTime: d.LockTime, HeldOpen: d.HeldOpen, Contact: d.Contact, ContactOpen: d.ContactOpen,
		REX: d.REX, REXUnlocks: d.REXUnlocks, PollInputs: d.PollInputs}
}
