package access

import (
	"errors"
	"fmt"
	"time"

	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// Why Cards refuses.
var (
	// ErrForbidden: the caller may not see the cards asked for.
	ErrForbidden = errors.New("forbidden")
	// ErrNoReader: the door asked for is not a reader of the registry.
	ErrNoReader = errors.New("no such reader")
)

// refused is a refusal of Cards: errors.Is matches its kind (ErrForbidden,
// ErrNoReader); its text says what was refused.
type refused struct {
	kind error
	err  error
}

func (r *refused) Error() string        { return r.err.Error() }
func (r *refused) Unwrap() error        { return r.err }
func (r *refused) Is(target error) bool { return target == r.kind }

func refuse(kind error, format string, args ...any) error {
	return &refused{kind: kind, err: fmt.Errorf(format, args...)}
}

// Cards is the card list as who may see it: those allowed permit.Cards
// (the security room and the command centre) see the cards that open only
// doors in cells they serve; with door, every card that opens that reader
// at now, if they serve its cell.
func Cards(reg *registry.Registry, who permit.Caller, door string, now time.Time) ([]*registry.Card, error) {
	if err := permit.CheckRole(reg, who, permit.Cards); err != nil {
		return nil, refuse(ErrForbidden, "the card list is for the security room and the command centre: %w", err)
	}
	var dev *registry.Device
	if door != "" {
		d, ok := reg.Device(door)
		if !ok || d.OSDP == nil {
			return nil, refuse(ErrNoReader, "no reader %q", door)
		}
		if err := permit.Check(reg, who, permit.Cards, permit.Target{Grid: d.Grid}); err != nil {
			return nil, refuse(ErrForbidden, "reader %s: %w", door, err)
		}
		dev = d
	}
	var out []*registry.Card
	for _, c := range reg.CardList() {
		switch {
		case dev != nil && Refusal(reg, c, dev, now) != "":
			continue
		case dev == nil && !servesCard(reg, who, c):
			continue
		}
		out = append(out, c)
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
