package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Limits of the API.
const (
	maxNote    = 4096
	maxAlarmID = 128
)

// alarmList is the answer of GET /api/v1/alarms.
type alarmList struct {
	Alarms []alarm.Alarm `json:"alarms"`
}

// handleAlarms serves GET /api/v1/alarms: the alarms the caller sees
// (of the cells they serve, or that they were paged for).
func (s *Server) handleAlarms(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	f, err := parseFilter(r.URL.Query())
	if err != nil {
		writeRequestError(w, err)
		return
	}
	limit, reg := f.Limit, s.registry()
	if !permit.ServesCell(reg, caller, "") {
		f.Limit = alarm.MaxLimit // cut down below, then to the limit asked for
	}
	list, err := s.cfg.Alarms.List(f)
	if err != nil {
		s.deskError(w, r, err)
		return
	}
	out := alarmList{Alarms: make([]alarm.Alarm, 0, min(len(list), limit))}
	for _, a := range list {
		if len(out.Alarms) == limit {
			break
		}
		if sees(reg, caller, &a) {
			out.Alarms = append(out.Alarms, withoutTimeline(a))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// parseFilter reads ?state=open|all&grid=&since=&limit= strictly.
func parseFilter(q url.Values) (alarm.Filter, error) {
	var none alarm.Filter
	for k, v := range q {
		switch k {
		case "state", "grid", "since", "limit":
			if len(v) > 1 {
				return none, badRequest("query parameter %q given %d times", k, len(v))
			}
		default:
			return none, badRequest("unknown query parameter %q (allowed: state, grid, since, limit)", k)
		}
	}
	f := alarm.Filter{State: q.Get("state"), Grid: q.Get("grid"), Limit: alarm.DefaultLimit}
	switch f.State {
	case "":
		f.State = alarm.FilterOpen
	case alarm.FilterOpen, alarm.FilterAll:
	default:
		return none, badRequest("state must be %q or %q, not %q", alarm.FilterOpen, alarm.FilterAll, f.State)
	}
	if f.Grid != "" && !event.ValidID(f.Grid) {
		return none, badRequest("grid %q is not a valid grid id", f.Grid)
	}
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return none, badRequest("since must be Unix milliseconds (a whole number ≥ 0), not %q", v)
		}
		f.Since = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > alarm.MaxLimit {
			return none, badRequest("limit must be a whole number from 1 to %d, not %q", alarm.MaxLimit, v)
		}
		f.Limit = n
	}
	return f, nil
}

func (s *Server) handleAlarm(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	id := r.PathValue("id")
	if err := checkAlarmID(id); err != nil {
		writeRequestError(w, err)
		return
	}
	a, ok, err := s.cfg.Alarms.Get(id)
	switch {
	case err != nil:
		s.deskError(w, r, err)
	case !ok:
		writeError(w, http.StatusNotFound, "no alarm %q", id)
	case !sees(s.registry(), caller, &a):
		s.refuse(w, r, http.StatusForbidden, refusedForbidden, "",
			fmt.Sprintf("%s was not paged for alarm %s and does not serve its cell %q or a cell above it", caller.ID, id, a.Grid))
	default:
		writeJSON(w, http.StatusOK, a)
	}
}

// actBody is the body of POST /api/v1/alarms/{id}/{action}.
type actBody struct {
	Note string `json:"note"`
	By   string `json:"by"`
}

// actBody reads an action's body ({"note", "by"}) and resolves who acts
// (the caller, or the body's "by" where that is allowed); false once it
// answered a bad request.
func (s *Server) actBody(w http.ResponseWriter, r *http.Request, caller permit.Caller) (permit.Caller, string, bool) {
	var body actBody
	if err := decodeBody(w, r, &body, "note, by"); err != nil {
		writeRequestError(w, err)
		return permit.Caller{}, "", false
	}
	who, err := s.actor(caller, body.By)
	if err != nil {
		writeRequestError(w, err)
		return permit.Caller{}, "", false
	}
	if len(body.Note) > maxNote {
		writeError(w, http.StatusBadRequest, "note is %d bytes long; at most %d are allowed", len(body.Note), maxNote)
		return permit.Caller{}, "", false
	}
	return who, body.Note, true
}

func (s *Server) handleAct(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	id, kind := r.PathValue("id"), event.ActionKind(r.PathValue("action"))
	if !kind.Valid() {
		writeError(w, http.StatusNotFound, "unknown action %q: want ack, arrive or resolve", kind)
		return
	}
	if err := checkAlarmID(id); err != nil {
		writeRequestError(w, err)
		return
	}
	who, note, ok := s.actBody(w, r, caller)
	if !ok {
		return
	}
	a, err := s.cfg.Alarms.Act(r.Context(), who, event.Action{
		AlarmID: id, Kind: kind, By: who.ID, Note: note, Channel: "http", At: s.now().UnixMilli(),
	})
	if err != nil {
		s.deskError(w, r, err)
		return
	}
	s.log.Info("http api: alarm action", "alarm", id, "action", kind, "by", who.ID)
	writeJSON(w, http.StatusOK, a)
}

// actor decides who acts: the token's or the session's owner whenever
// there is one (a body "by" naming anyone else is refused); with auth off
// (a loopback listener) and no login, the staff member the body's "by"
// names, else the local console. Either way the caller is then held to
// their role by the permission table.
func (s *Server) actor(caller permit.Caller, by string) (permit.Caller, error) {
	if s.tokens.on || !caller.IsConsole() {
		if by != "" && by != caller.ID {
			return permit.Caller{}, badRequest(`"by" is not accepted from a logged-in caller: the one who acts is the owner of the bearer token or session (%s)`, caller.ID)
		}
		return caller, nil
	}
	if by == "" || by == permit.ConsoleID {
		return permit.Console, nil
	}
	if !event.ValidID(by) {
		return permit.Caller{}, badRequest(`"by" must be a staff id ([A-Za-z0-9._-]{1,64}), not %q`, by)
	}
	return permit.Staff(by), nil
}

func checkAlarmID(id string) error {
	if id == "" || len(id) > maxAlarmID || strings.ContainsFunc(id, func(r rune) bool {
		return unicode.IsControl(r) || unicode.IsSpace(r)
	}) {
		return badRequest("%q is not a valid alarm id", id)
	}
	return nil
}

func writeRequestError(w http.ResponseWriter, err error) {
	var re *requestError
	if errors.As(err, &re) {
		writeError(w, re.code, "%s", re.msg)
		return
	}
	writeError(w, http.StatusBadRequest, "%v", err)
}

func withoutTimeline(a alarm.Alarm) alarm.Alarm {
	a.Timeline = nil
	return a
}
