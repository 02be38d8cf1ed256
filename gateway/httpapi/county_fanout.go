package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gridwatch/gridwatch/gateway/county"
	"github.com/gridwatch/gridwatch/gateway/permit"
)

// countyEmergencyBody is the body of POST /api/v1/county/emergency.
type countyEmergencyBody struct {
	Sites []string `json:"sites"`
	Grid  string   `json:"grid"`
	On    bool     `json:"on"`
	// WholeSite, instead of Grid, is the whole of each site.
	WholeSite bool `json:"whole_site"`
}

// countyBroadcastBody is the body of POST /api/v1/county/broadcasts.
type countyBroadcastBody struct {
	Sites []string `json:"sites"`
	Grid  string   `json:"grid"`
	Text  string   `json:"text"`
}

// countyFanOutAnswer is each site's reply.
type countyFanOutAnswer struct {
	Results []county.SiteReply `json:"results"`
}

func (s *Server) handleCountyEmergency(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	countyFanOut(s, w, r, caller, "sites, grid, on, whole_site", func(ctx context.Context, b countyEmergencyBody) ([]county.SiteReply, error) {
		switch {
		case b.Grid == "" && !b.WholeSite:
			return nil, fmt.Errorf(`%w: give "grid" (a cell at each site), or "whole_site": true`, county.ErrBadRequest)
		case b.Grid != "" && b.WholeSite:
			return nil, fmt.Errorf(`%w: "grid" and "whole_site" both given`, county.ErrBadRequest)
		}
		return s.cfg.County.Emergency(ctx, caller, b.Sites, b.Grid, b.On)
	})
}

func (s *Server) handleCountyBroadcast(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	countyFanOut(s, w, r, caller, "sites, grid, text", func(ctx context.Context, b countyBroadcastBody) ([]county.SiteReply, error) {
		if len(b.Text) > maxNote {
			return nil, fmt.Errorf("%w: text is %d bytes long; at most %d are allowed", county.ErrBadRequest, len(b.Text), maxNote)
		}
		return s.cfg.County.Broadcast(ctx, caller, b.Sites, b.Grid, b.Text)
	})
}

// countyFanOut sends one request to many sites and answers 200 with every
// site's result (each says whether its site accepted, refused or did not
// answer).
func countyFanOut[B any](s *Server, w http.ResponseWriter, r *http.Request, caller permit.Caller, allowed string,
	send func(context.Context, B) ([]county.SiteReply, error)) {
	var body B
	if err := decodeBody(w, r, &body, allowed); err != nil {
		writeRequestError(w, err)
		return
	}
	res, err := send(r.Context(), body)
	if err != nil {
		s.countyError(w, r, caller, err)
		return
	}
	s.log.Info("http api: county request to sites", "path", r.URL.Path, "by", caller.ID, "sites", len(res))
	writeJSON(w, http.StatusOK, countyFanOutAnswer{Results: res})
}
