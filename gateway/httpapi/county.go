package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gridwatch/gridwatch/gateway/county"
	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// County is the county view as the API sees it (county mode: Config.County
// set). Alarms are every site's, with county ids "{site}/{id}" (sent
// URL-encoded in a path: /api/v1/alarms/lianhua%2FA0123…); acting on one
// sends the site a request and waits for its reply.
type County interface {
	List(f county.Filter) []county.Alarm
	Get(k county.Key) (county.Alarm, bool)
	Sites() []county.SiteHealth
	KPIs(sinceMS int64) county.KPIReport
	Act(ctx context.Context, who permit.Caller, k county.Key, action, note string) (countywire.Reply, error)
	Emergency(ctx context.Context, who permit.Caller, sites []string, grid string, on bool) ([]county.SiteReply, error)
	Broadcast(ctx context.Context, who permit.Caller, sites []string, grid, text string) ([]county.SiteReply, error)
}

// countyRoutes are the routes of county mode: of the gateway's, the
// session, the county's own grid tree (/api/v1/site), the (empty) device
// list and the stream; the alarms of every site; the sites' health, the
// KPIs, and emergency mode and broadcasts sent to sites.
func (s *Server) countyRoutes(gateway []route) []route {
	var api []route
	for _, r := range gateway {
		if slices.Contains([]string{"/api/v1/session", "/api/v1/site", "/api/v1/devices", "/api/v1/stream"}, r.path) {
			api = append(api, r)
		}
	}
	return append(api,
		route{method: "GET", path: "/api/v1/alarms", h: s.handleCountyAlarms},
		route{method: "GET", path: "/api/v1/alarms/{id}", h: s.handleCountyAlarm},
		route{method: "POST", path: "/api/v1/alarms/{id}/{action}", h: s.handleCountyAct},
		route{method: "GET", path: "/api/v1/county/sites", h: s.handleCountySites},
		route{method: "GET", path: "/api/v1/county/kpis", h: s.handleCountyKPIs},
		route{method: "POST", path: "/api/v1/county/emergency", h: s.handleCountyEmergency},
		route{method: "POST", path: "/api/v1/county/broadcasts", h: s.handleCountyBroadcast},
	)
}

// countyAlarmList is the answer of GET /api/v1/alarms in county mode.
type countyAlarmList struct {
	Alarms []county.Alarm `json:"alarms"`
}

// handleCountyAlarms serves GET /api/v1/alarms in county mode:
// ?state=open|all&site=&grid=&street=&community=&since=&limit=, newest
// first, without timelines.
func (s *Server) handleCountyAlarms(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	f, err := parseCountyFilter(r.URL.Query())
	if err != nil {
		writeRequestError(w, err)
		return
	}
	reg := s.registry()
	f.Visible = func(a *county.Alarm) bool { return county.Sees(reg, caller, a) }
	list := s.cfg.County.List(f)
	for i := range list {
		list[i].Timeline = nil
	}
	writeJSON(w, http.StatusOK, countyAlarmList{Alarms: list})
}

// parseCountyFilter reads the county list's query strictly.
func parseCountyFilter(q url.Values) (county.Filter, error) {
	allowed := []string{"state", "site", "grid", "street", "community", "since", "limit"}
	for k, v := range q {
		if !slices.Contains(allowed, k) {
			return county.Filter{}, badRequest("unknown query parameter %q (allowed: state, site, grid, street, community, since, limit)", k)
		}
		if len(v) > 1 {
			return county.Filter{}, badRequest("query parameter %q given %d times", k, len(v))
		}
	}
	f := county.Filter{State: q.Get("state"), Site: q.Get("site"), Grid: q.Get("grid"), Street: q.Get("street"),
		Community: q.Get("community"), Limit: alarm.DefaultLimit}
	switch f.State {
	case "":
		f.State = alarm.FilterOpen
	case alarm.FilterOpen, alarm.FilterAll:
	default:
		return f, badRequest("state must be %q or %q, not %q", alarm.FilterOpen, alarm.FilterAll, f.State)
	}
	if f.Site != "" && !event.ValidID(f.Site) {
		return f, badRequest("site %q is not a valid site id", f.Site)
	}
	for _, g := range []string{f.Grid, f.Street, f.Community} {
		if len(g) > 256 {
			return f, badRequest("a grid, street or community is at most 256 bytes")
		}
	}
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return f, badRequest("since must be Unix milliseconds (a whole number ≥ 0), not %q", v)
		}
		f.Since = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > alarm.MaxLimit {
			return f, badRequest("limit must be a whole number from 1 to %d, not %q", alarm.MaxLimit, v)
		}
		f.Limit = n
	}
	return f, nil
}

// countyKey reads the {id} of a county alarm path.
func countyKey(r *http.Request) (county.Key, error) {
	id := r.PathValue("id")
	k, ok := county.ParseKey(id)
	if !ok {
		return k, badRequest("%q is not a county alarm id: want {site}/{id}, URL-encoded in the path (lianhua%%2FA0123)", id)
	}
	return k, nil
}

func (s *Server) handleCountyAlarm(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	k, err := countyKey(r)
	if err != nil {
		writeRequestError(w, err)
		return
	}
	a, ok := s.cfg.County.Get(k)
	if !ok {
		writeError(w, http.StatusNotFound, "no alarm %s in the county view", k)
		return
	}
	if !county.Sees(s.registry(), caller, &a) {
		s.refuse(w, r, http.StatusForbidden, refusedForbidden, "",
			fmt.Sprintf("%s serves none of the cells of alarm %s", caller.ID, k))
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// countyActAnswer is the answer of an action from the county: the site's
// reply and the alarm as the county holds it now (the site's new state
// follows as its next record).
type countyActAnswer struct {
	Reply countywire.Reply `json:"reply"`
	Alarm *county.Alarm    `json:"alarm,omitempty"`
	Error string           `json:"error,omitempty"`
}

// handleCountyAct serves POST /api/v1/alarms/{id}/{ack|arrive|resolve}
// in county mode: the county's check of the caller's role, then a request
// to the alarm's site, and the site's reply (its status when it refuses;
// 504 when none came in time).
func (s *Server) handleCountyAct(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	action := r.PathValue("action")
	if !event.ActionKind(action).Valid() {
		writeError(w, http.StatusNotFound, "unknown action %q: want ack, arrive or resolve", action)
		return
	}
	k, err := countyKey(r)
	if err != nil {
		writeRequestError(w, err)
		return
	}
	who, note, ok := s.actBody(w, r, caller)
	if !ok {
		return
	}
	rep, err := s.cfg.County.Act(r.Context(), who, k, action, note)
	if err != nil {
		s.countyError(w, r, who, err)
		return
	}
	s.log.Info("http api: county action", "alarm", k.String(), "action", action, "by", who.ID, "ok", rep.OK, "status", rep.Status)
	out := countyActAnswer{Reply: rep, Error: rep.Error}
	if a, ok := s.cfg.County.Get(k); ok {
		out.Alarm = &a
	}
	writeJSON(w, replyStatus(rep), out)
}

// replyStatus is the HTTP status of a site's reply.
func replyStatus(rep countywire.Reply) int {
	switch {
	case rep.OK:
		return http.StatusOK
	case rep.Status >= 400 && rep.Status <= 599:
		return rep.Status
	}
	return http.StatusBadGateway
}

// countyError answers an error of the county view.
func (s *Server) countyError(w http.ResponseWriter, r *http.Request, who permit.Caller, err error) {
	switch {
	case errors.Is(err, county.ErrForbidden):
		s.refuse(w, r, http.StatusForbidden, refusedForbidden, who.ID, err.Error())
	case errors.Is(err, county.ErrBadRequest):
		writeError(w, http.StatusBadRequest, "%v", err)
	case errors.Is(err, county.ErrNotFound), errors.Is(err, county.ErrUnknownSite):
		writeError(w, http.StatusNotFound, "%v", err)
	case errors.Is(err, county.ErrNotConnected):
		writeError(w, http.StatusServiceUnavailable, "%v", err)
	case errors.Is(err, county.ErrNoReply):
		writeError(w, http.StatusGatewayTimeout, "%v", err)
	default:
		s.log.Error("http api: county request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error (see the county view's log)")
	}
}

// countySites is the answer of GET /api/v1/county/sites.
type countySites struct {
	Sites []county.SiteHealth `json:"sites"`
}

func (s *Server) handleCountySites(w http.ResponseWriter, _ *http.Request, _ permit.Caller) {
	writeJSON(w, http.StatusOK, countySites{Sites: s.cfg.County.Sites()})
}

// handleCountyKPIs serves GET /api/v1/county/kpis?since=MS (default: the
// last 24 hours).
func (s *Server) handleCountyKPIs(w http.ResponseWriter, r *http.Request, _ permit.Caller) {
	since := s.now().Add(-kpiWindow).UnixMilli()
	for k, v := range r.URL.Query() {
		if k != "since" || len(v) > 1 {
			writeError(w, http.StatusBadRequest, "query: only one since=MS is allowed")
			return
		}
		n, err := strconv.ParseInt(v[0], 10, 64)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "since must be Unix milliseconds (a whole number ≥ 0), not %q", v[0])
			return
		}
		since = n
	}
	writeJSON(w, http.StatusOK, s.cfg.County.KPIs(since))
}

// kpiWindow is the KPIs' default span.
const kpiWindow = 24 * time.Hour
