package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Oversight is the emergency switch and the audit log as the API sees
// them (the escalation desk in production).
type Oversight interface {
	// Emergencies returns the scopes in emergency mode.
	Emergencies() ([]alarm.Emergency, error)
	// SetEmergency switches a scope ("" the whole site) for caller who,
	// checking that they may (an error that maps to 403 if not; the
	// refusal is audited).
	SetEmergency(ctx context.Context, scope string, on bool, who permit.Caller) error
	// AuditLog returns audit records at or after sinceMS, oldest first.
	AuditLog(sinceMS int64, limit int) ([]alarm.AuditRecord, error)
	// MayOversee reports whether a caller may read the audit log.
	MayOversee(who permit.Caller) bool
}

// emergencyList is the answer of GET and POST /api/v1/emergency.
type emergencyList struct {
	Emergencies []alarm.Emergency `json:"emergencies"`
}

// emergencyBody is the body of POST /api/v1/emergency.
type emergencyBody struct {
	Grid *string `json:"grid"`
	On   *bool   `json:"on"`
	By   string  `json:"by"`
}

func (s *Server) handleEmergencies(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	s.writeEmergencies(w, r, caller)
}

// writeEmergencies answers the emergencies whose scope touches the
// caller's cells. Every caller may read them (grid members must know
// their cell has gone flat); switching is for those permit.Emergency
// allows.
func (s *Server) writeEmergencies(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	list, err := s.cfg.Oversight.Emergencies()
	if err != nil {
		s.deskError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, emergencyList{Emergencies: emergenciesOf(s.registry(), caller, list)})
}

func (s *Server) handleSetEmergency(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	var body emergencyBody
	if err := decodeBody(w, r, &body, "grid, on, by"); err != nil {
		writeRequestError(w, err)
		return
	}
	if body.Grid == nil || body.On == nil {
		writeError(w, http.StatusBadRequest, `body must give "grid" (a grid id, or "" for the whole site) and "on" (true or false)`)
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
	if err := s.cfg.Oversight.SetEmergency(r.Context(), *body.Grid, *body.On, who); err != nil {
		s.deskError(w, r, err)
		return
	}
	s.log.Warn("http api: emergency mode switched", "grid", *body.Grid, "on", *body.On, "by", who.ID)
	s.writeEmergencies(w, r, who)
}

// auditList is the answer of GET /api/v1/audit.
type auditList struct {
	Records []alarm.AuditRecord `json:"records"`
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	if !s.cfg.Oversight.MayOversee(caller) {
		writeError(w, http.StatusForbidden, "the audit log is for the security room and the command centre; %s is neither", caller.ID)
		return
	}
	since, limit, err := parseAuditQuery(r.URL.Query())
	if err != nil {
		writeRequestError(w, err)
		return
	}
	recs, err := s.cfg.Oversight.AuditLog(since, limit)
	if err != nil {
		s.deskError(w, r, err)
		return
	}
	if recs == nil {
		recs = []alarm.AuditRecord{}
	}
	writeJSON(w, http.StatusOK, auditList{Records: recs})
}

// parseAuditQuery reads ?since=&limit= strictly.
func parseAuditQuery(q url.Values) (since int64, limit int, err error) {
	for k, v := range q {
		if k != "since" && k != "limit" {
			return 0, 0, badRequest("unknown query parameter %q (allowed: since, limit)", k)
		}
		if len(v) > 1 {
			return 0, 0, badRequest("query parameter %q given %d times", k, len(v))
		}
	}
	limit = alarm.DefaultAuditLimit
	if v := q.Get("since"); v != "" {
		since, err = strconv.ParseInt(v, 10, 64)
		if err != nil || since < 0 {
			return 0, 0, badRequest("since must be Unix milliseconds (a whole number ≥ 0), not %q", v)
		}
	}
	if v := q.Get("limit"); v != "" {
		limit, err = strconv.Atoi(v)
		if err != nil || limit < 1 || limit > alarm.MaxAuditLimit {
			return 0, 0, badRequest("limit must be a whole number from 1 to %d, not %q", alarm.MaxAuditLimit, v)
		}
	}
	return since, limit, nil
}
