package app

import (
	"time"

	"github.com/gridwatch/gridwatch/drivers/osdp"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// denyNotHere is the denial of a card that is known, but not for this door.
const denyNotHere = "not_permitted_here"

// accessList decides at the edge from the registry's cards, as the
// registry is now: a reload changes who may enter at once, and decisions
// keep working while the uplink is down.
type accessList struct {
	reg func() *registry.Registry
}

var _ osdp.Decider = accessList{}

func (l accessList) Decide(device string, c osdp.Card, now time.Time) osdp.Decision {
	reg := l.reg()
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
		switch {
		case card.Block:
			return osdp.Decision{Reason: osdp.DenyBlocked}
		case !opens(reg, card, dev):
			continue
		case !card.From.IsZero() && now.Before(card.From):
			return osdp.Decision{Reason: osdp.DenyNotValid}
		case !card.Until.IsZero() && !now.Before(card.Until):
			return osdp.Decision{Reason: osdp.DenyExpired}
		}
		return osdp.Decision{Grant: true}
	}
	if known {
		return osdp.Decision{Reason: denyNotHere}
	}
	return osdp.Decision{Reason: osdp.DenyUnknown}
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

// osdpDoor is a registry door in the driver's terms; its card list stays
// empty, since accessList decides.
func osdpDoor(d *registry.Door) *osdp.Door {
	if d == nil {
		return nil
	}
	return &osdp.Door{LockTime: d.LockTime, HeldOpen: d.HeldOpen, Contact: d.Contact, ContactOpen: d.ContactOpen,
		REX: d.REX, REXUnlocks: d.REXUnlocks, PollInputs: d.PollInputs}
}
