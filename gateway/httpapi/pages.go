package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
)

// Pages is the page ledger as the API sees it (deliver.Ledger in
// production): the staff phone app confirms over HTTP that it has a page,
// as it would with its MQTT PUBACK or its receipt on the reply topic.
type Pages interface {
	// Page returns page id as the ledger holds it (its recipient in
	// Staff); false when the ledger knows no such page (never sent, or
	// given up with its closed alarm).
	Page(id string) (event.PageReport, bool)
	// Delivered records that staffID's client confirmed page pageID over
	// channel; a page of someone else or one already delivered is left
	// alone.
	Delivered(staffID, pageID, channel string)
	// PagesFor returns staffID's pages not yet delivered, oldest first.
	PagesFor(staffID string) []event.PageReport
}

// phoneAPI are the endpoints the phone app needs beyond the console's:
// where an alarm is, and its receipt of a page (when there is a ledger).
func (s *Server) phoneAPI() []route {
	api := []route{{method: "GET", path: "/api/v1/places/{id}", h: s.handlePlace}}
	if s.cfg.Pages != nil {
		api = append(api, route{method: "GET", path: "/api/v1/pages", h: s.handlePages},
			route{method: "POST", path: "/api/v1/pages/{id}/received", h: s.handleReceived})
	}
	return api
}

// maxPageID bounds a page id in a path.
const maxPageID = 128

// handleReceived serves POST /api/v1/pages/{id}/received: the caller's
// phone app has page id. Only the page's own recipient may confirm it
// (anyone else is 403, audited); a page already delivered is confirmed
// again without harm. The answer is the page as the ledger now holds it.
func (s *Server) handleReceived(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	id := r.PathValue("id")
	if id == "" || len(id) > maxPageID || strings.ContainsFunc(id, func(r rune) bool {
		return unicode.IsControl(r) || unicode.IsSpace(r)
	}) {
		writeError(w, http.StatusBadRequest, "%q is not a valid page id", id)
		return
	}
	var body struct{}
	if err := decodeBody(w, r, &body, "(none)"); err != nil && r.ContentLength != 0 {
		writeRequestError(w, err)
		return
	}
	p, ok := s.cfg.Pages.Page(id)
	if !ok {
		writeError(w, http.StatusNotFound, "no page %q (never sent, or its alarm is closed)", id)
		return
	}
	if caller.IsConsole() || caller.WholeSite() || p.Staff != caller.ID {
		// Config accounts and the console are nobody's phone; a staff
		// member confirms only their own pages.
		s.refuse(w, r, http.StatusForbidden, refusedForbidden, "",
			fmt.Sprintf("page %s is not %s's: only its recipient's own phone confirms a page", id, caller.ID))
		return
	}
	s.cfg.Pages.Delivered(caller.ID, id, event.PageApp)
	if now, ok := s.cfg.Pages.Page(id); ok {
		p = now
	}
	writeJSON(w, http.StatusOK, p)
}

// pageList is the answer of GET /api/v1/pages.
type pageList struct {
	Pages []event.PageReport `json:"pages"`
}

// handlePages serves GET /api/v1/pages: the caller's own pages not yet
// delivered (alarms' and broadcasts'), which their phone app confirms
// when it has them. The console and config accounts are nobody's phone:
// an empty list.
func (s *Server) handlePages(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	if len(r.URL.Query()) > 0 {
		writeError(w, http.StatusBadRequest, "GET /api/v1/pages takes no query parameters")
		return
	}
	out := pageList{Pages: []event.PageReport{}}
	if !caller.IsConsole() && !caller.WholeSite() {
		if ps := s.cfg.Pages.PagesFor(caller.ID); ps != nil {
			out.Pages = ps
		}
	}
	writeJSON(w, http.StatusOK, out)
}
