package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gridwatch/gridwatch/gateway/commission"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
)

// Commissioning runs installers' walk tests (gateway/commission in
// production). Each method checks the caller (permit.Commission) itself.
type Commissioning interface {
	Start(req commission.Request, who permit.Caller) (commission.Session, error)
	Get(id string, who permit.Caller) (commission.Session, error)
	List(who permit.Caller) []commission.Session
	End(id string, who permit.Caller) (commission.Session, error)
}

var _ Commissioning = (*commission.Service)(nil)

// commissionBody is the body of POST /api/v1/commissioning.
type commissionBody struct {
	Devices  []string `json:"devices"`
	Grid     string   `json:"grid"`
	Site     bool     `json:"site"`
	Duration string   `json:"duration"`
	Reason   string   `json:"reason"`
	By       string   `json:"by"`
}

type commissionList struct {
	Sessions []commission.Session `json:"sessions"`
}

func (s *Server) handleStartCommissioning(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	var body commissionBody
	if err := decodeBody(w, r, &body, "devices, grid, site, duration, reason, by"); err != nil {
		writeRequestError(w, err)
		return
	}
	req := commission.Request{Devices: body.Devices, Grid: body.Grid, Site: body.Site, Reason: body.Reason}
	if body.Duration != "" {
		d, err := time.ParseDuration(body.Duration)
		if err != nil || d <= 0 {
			writeError(w, http.StatusBadRequest, `"duration" must be a duration such as "2h", not %q`, body.Duration)
			return
		}
		req.Duration = d
	}
	for _, id := range append(slicesOf(body.Grid), body.Devices...) {
		if !event.ValidID(id) {
			writeError(w, http.StatusBadRequest, "%q is not a valid id", id)
			return
		}
	}
	who, err := s.actor(caller, body.By)
	if err != nil {
		writeRequestError(w, err)
		return
	}
	ss, err := s.cfg.Commissioning.Start(req, who)
	if err != nil {
		s.deskError(w, r, err)
		return
	}
	// The service tells the stream of a session's changes, not of its
	// start: a screen that is open shows the new session at once.
	s.PublishCommissioning(ss)
	writeJSON(w, http.StatusCreated, ss)
}

func slicesOf(id string) []string {
	if id == "" {
		return nil
	}
	return []string{id}
}

// handleCommissionings serves GET /api/v1/commissioning: the sessions,
// or with ?live=true the live ones only (a console need not read the
// reports of the last 20 ended whole-site sessions on every reload).
func (s *Server) handleCommissionings(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	liveOnly := false
	for k, v := range r.URL.Query() {
		b, err := strconv.ParseBool(v[0])
		if k != "live" || len(v) != 1 || err != nil {
			writeError(w, http.StatusBadRequest, "query: only live=true or live=false is accepted, not %q", k+"="+strings.Join(v, ","))
			return
		}
		liveOnly = b
	}
	out := commissionList{Sessions: s.cfg.Commissioning.List(caller)}
	if liveOnly {
		out.Sessions = slices.DeleteFunc(out.Sessions, func(ss commission.Session) bool { return !ss.Live() })
	}
	if out.Sessions == nil {
		out.Sessions = []commission.Session{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleCommissioning(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	ss, err := s.cfg.Commissioning.Get(r.PathValue("id"), caller)
	if err != nil {
		s.deskError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ss)
}

func (s *Server) handleEndCommissioning(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	ss, err := s.cfg.Commissioning.End(r.PathValue("id"), caller)
	if err != nil {
		s.deskError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ss)
}

// PublishCommissioning sends a session's new state, as event
// "commissioning", to every stream client who may commission all of its
// devices' cells; a client that has not taken an earlier state of the
// same session gets only the newest. It never blocks.
func (s *Server) PublishCommissioning(ss commission.Session) {
	if s.hub.n.Load() == 0 {
		return
	}
	frame, err := encodeFrame("commissioning", ss)
	if err != nil {
		s.log.Error("http api: stream: cannot encode commissioning session", "session", ss.ID, "err", err)
		return
	}
	reg := s.registry()
	key := "\x00commissioning/" + ss.ID // device ids never hold a NUL: no clash in the device queue
	s.hub.each(func(c *client) (int, bool) {
		if permit.CheckRole(reg, c.who, permit.Commission) != nil {
			return 0, false
		}
		for _, d := range ss.Devices {
			if !permit.ServesCell(reg, c.who, d.Grid) {
				return 0, false
			}
		}
		old, queued := c.devices[key]
		switch {
		case queued && old.version > ss.Version:
			return 0, false
		case !queued && len(c.devices) >= maxQueuedDevices:
			return c.overflow(), true
		}
		c.devices[key] = deviceFrame{ss.Version, frame}
		return 0, true
	})
}
