package app

import (
	"errors"
	"net/http"
	"time"

	"github.com/gridwatch/gridwatch/gateway/access"
	"github.com/gridwatch/gridwatch/gateway/httpapi"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// cardView serves access.Cards, the card list as the caller may see it,
// to the HTTP API.
type cardView struct {
	reg func() *registry.Registry
	now func() time.Time
}

var _ httpapi.Cards = cardView{}

func (v cardView) Cards(door string, who permit.Caller) ([]httpapi.Card, error) {
	list, err := access.Cards(v.reg(), who, door, v.now())
	switch {
	case errors.Is(err, access.ErrForbidden):
		return nil, withStatus(http.StatusForbidden, "%v", err)
	case errors.Is(err, access.ErrNoReader):
		return nil, withStatus(http.StatusNotFound, "%v", err)
	case err != nil:
		return nil, err
	}
	out := make([]httpapi.Card, 0, len(list))
	for _, c := range list {
		out = append(out, httpapi.Card{Card: c.Card, Facility: c.Facility, Name: c.Name, Doors: c.Doors, Grids: c.Grids,
			Block: c.Block, From: c.From, Until: c.Until})
	}
	return out, nil
}
