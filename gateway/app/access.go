package app

import (
	"net/http"
	"time"

	"github.com/gridwatch/gridwatch/drivers/osdp"
	"github.com/gridwatch/gridwatch/gateway/httpapi"
	"github.com/gridwatch/gridwatch/gateway/permit"
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
		switch why := refusal(reg, card, dev, now); why {
		case "":
			return osdp.Decision{Grant: true}
		case denyNotHere:
			continue // another card of this number may be for this door
		default:
			return osdp.Decision{Reason: why}
		}
	}
	if known {
		return osdp.Decision{Reason: denyNotHere}
	}
	return osdp.Decision{Reason: osdp.DenyUnknown}
}

// refusal says why card does not open the reader dev at now ("" when it
// does): blocked, not for this door, not valid yet, or expired.
func refusal(reg *registry.Registry, card *registry.Card, dev *registry.Device, now time.Time) string {
	switch {
	case card.Block:
		return osdp.DenyBlocked
	case !opens(reg, card, dev):
		return denyNotHere
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

// osdpDoor is a registry door in the driver's terms; its card list stays
// empty, since accessList decides.
func osdpDoor(d *registry.Door) *osdp.Door {
	if d == nil {
		return nil
	}
	return &osdp.Door{LockTime: d.LockTime, HeldOpen: d.HeldOpen, Contact: d.Contact, ContactOpen: d.ContactOpen,
		REX: d.REX, REXUnlocks: d.REXUnlocks, PollInputs: d.PollInputs}
}

// cardView serves the registry's card list to the HTTP API: those allowed
// permit.Cards (the security room and the command centre) see the cards
// that open only doors in cells they serve, and every card that opens a
// reader they serve today.
type cardView struct {
	reg func() *registry.Registry
	now func() time.Time
}

var _ httpapi.Cards = cardView{}

func (v cardView) Cards(door string, who permit.Caller) ([]httpapi.Card, error) {
	reg := v.reg()
	if err := permit.CheckRole(reg, who, permit.Cards); err != nil {
		return nil, withStatus(http.StatusForbidden, "the card list is for the security room and the command centre: %v", err)
	}
	var dev *registry.Device
	if door != "" {
		d, ok := reg.Device(door)
		if !ok || d.OSDP == nil {
			return nil, withStatus(http.StatusNotFound, "no reader %q", door)
		}
		if err := permit.Check(reg, who, permit.Cards, permit.Target{Grid: d.Grid}); err != nil {
			return nil, withStatus(http.StatusForbidden, "reader %s: %v", door, err)
		}
		dev = d
	}
	now := v.now()
	var out []httpapi.Card
	for _, c := range reg.CardList() {
		switch {
		case dev != nil && refusal(reg, c, dev, now) != "":
			continue
		case dev == nil && !servesCard(reg, who, c):
			continue
		}
		out = append(out, httpapi.Card{Card: c.Card, Facility: c.Facility, Name: c.Name, Doors: c.Doors, Grids: c.Grids,
			Block: c.Block, From: c.From, Until: c.Until})
	}
	return out, nil
}

// servesCard reports whether a card opens only doors in cells who serves.
func servesCard(reg *registry.Registry, who permit.Caller, c *registry.Card) bool {
	for _, g := range c.Grids {
		if !permit.ServesCell(reg, who, g) {
			return false
		}
	}
	for _, id := range c.Doors {
		if d, ok := reg.Device(id); !ok || !permit.ServesCell(reg, who, d.Grid) {
			return false
		}
	}
	return true
}
