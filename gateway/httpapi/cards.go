package httpapi

import (
	"net/http"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
)

// Cards is the site's access card list as the API shows it (read only:
// cards are kept in the registry file and change with a reload).
type Cards interface {
	// Cards lists the cards, or with door only those that open that
	// reader today; it checks that who may see them (permit.Cards).
	Cards(door string, who permit.Caller) ([]Card, error)
}

// Card is one access card and where and when it opens.
type Card struct {
	Card     string    `json:"card"`
	Facility int       `json:"facility,omitempty"`
	Name     string    `json:"name,omitempty"`
	Doors    []string  `json:"doors,omitempty"`
	Grids    []string  `json:"grids,omitempty"`
	Block    bool      `json:"block,omitempty"`
	From     time.Time `json:"from,omitzero"`
	Until    time.Time `json:"until,omitzero"`
}

type cardList struct {
	Cards []Card `json:"cards"`
}

func (s *Server) handleCards(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	q := r.URL.Query()
	for k, v := range q {
		if k != "door" || len(v) != 1 {
			writeError(w, http.StatusBadRequest, "query: only one door is accepted, not %q", k)
			return
		}
	}
	door := q.Get("door")
	if door != "" && !event.ValidID(door) {
		writeError(w, http.StatusBadRequest, "door %q is not a valid device id", door)
		return
	}
	list, err := s.cfg.Cards.Cards(door, caller)
	if err != nil {
		s.deskError(w, r, err)
		return
	}
	if list == nil {
		list = []Card{}
	}
	writeJSON(w, http.StatusOK, cardList{Cards: list})
}
