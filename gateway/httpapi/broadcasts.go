package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/gridwatch/gridwatch/gateway/broadcast"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
)

// Broadcasts sends operators' messages down the grid tree and reports
// their delivery (gateway/broadcast in production).
type Broadcasts interface {
	// Send broadcasts text to the subtree under scope ("" the whole site)
	// for caller who, checking that they may (permit.Broadcast).
	Send(ctx context.Context, scope, text string, who permit.Caller) (broadcast.Broadcast, error)
	Get(id string) (broadcast.Broadcast, error)
	List(limit int) ([]broadcast.Broadcast, error)
}

// broadcastBody is the body of POST /api/v1/broadcasts.
type broadcastBody struct {
	Grid *string `json:"grid"`
	Text string  `json:"text"`
	By   string  `json:"by"`
}

// broadcastList is the answer of GET /api/v1/broadcasts.
type broadcastList struct {
	Broadcasts []broadcast.Broadcast `json:"broadcasts"`
}

const maxBroadcastList = 500

func (s *Server) handleSendBroadcast(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	var body broadcastBody
	if err := decodeBody(w, r, &body, "grid, text, by"); err != nil {
		writeRequestError(w, err)
		return
	}
	if body.Grid == nil || body.Text == "" {
		writeError(w, http.StatusBadRequest, `body must give "grid" (a grid id, or "" for the whole site) and "text"`)
		return
	}
	if *body.Grid != "" && !event.ValidID(*body.Grid) {
		writeError(w, http.StatusBadRequest, "grid %q is not a valid grid id", *body.Grid)
		return
	}
	who, err := s.actor(caller, body.By)
	if err != nil {
		writeRequestError(w, err)
		return
	}
	b, err := s.cfg.Broadcasts.Send(r.Context(), *body.Grid, body.Text, who)
	if err != nil {
		s.deskError(w, r, err)
		return
	}
	s.log.Info("http api: broadcast", "broadcast", b.ID, "grid", b.Scope, "by", who.ID, "targets", len(b.Targets))
	writeJSON(w, http.StatusCreated, b)
}

// handleBroadcasts serves GET /api/v1/broadcasts: the latest broadcasts
// whose scope touches the caller's cells.
func (s *Server) handleBroadcasts(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	limit := 50
	for k, v := range r.URL.Query() {
		if k != "limit" || len(v) != 1 {
			writeError(w, http.StatusBadRequest, "query: only one limit is accepted, not %q", k)
			return
		}
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > maxBroadcastList {
			writeError(w, http.StatusBadRequest, "limit must be a whole number from 1 to %d, not %q", maxBroadcastList, v[0])
			return
		}
		limit = n
	}
	list, err := s.cfg.Broadcasts.List(limit)
	if err != nil {
		s.deskError(w, r, err)
		return
	}
	reg := s.registry()
	list = slices.DeleteFunc(slices.Clone(list), func(b broadcast.Broadcast) bool { return !touches(reg, caller, b.Scope) })
	if list == nil {
		list = []broadcast.Broadcast{}
	}
	writeJSON(w, http.StatusOK, broadcastList{Broadcasts: list})
}

func (s *Server) handleBroadcast(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	b, err := s.cfg.Broadcasts.Get(r.PathValue("id"))
	if err != nil {
		s.deskError(w, r, err)
		return
	}
	if !touches(s.registry(), caller, b.Scope) {
		s.refuse(w, r, http.StatusForbidden, refusedForbidden, "",
			fmt.Sprintf("broadcast %s to cell %q does not concern the cells %s serves", b.ID, b.Scope, caller.ID))
		return
	}
	writeJSON(w, http.StatusOK, b)
}
