package county

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/gateway/permit"
)

// Errors of the county's requests; the API maps them to statuses.
var (
	// ErrForbidden: the county's own permission table refused the caller
	// (403); the site checks again.
	ErrForbidden = errors.New("forbidden")
	// ErrUnknownSite: nothing was ever heard of the site (404).
	ErrUnknownSite = errors.New("unknown site")
	// ErrNotFound: the county holds no such alarm (404).
	ErrNotFound = errors.New("no such alarm")
	// ErrBadRequest: the request is malformed (400).
	ErrBadRequest = errors.New("bad request")
	// ErrNotConnected: the view is not connected to the cluster (503).
	ErrNotConnected = errors.New("not connected to the county cluster")
	// ErrNoReply: the site did not reply in time (504). The request may
	// still be carried out.
	ErrNoReply = errors.New("no reply from the site")
)

// MaxSites bounds the sites one emergency or broadcast goes to.
const MaxSites = 500

// SiteReply is one site's answer to a request the county sent it.
type SiteReply struct {
	Site      string            `json:"site"`
	RequestID string            `json:"request_id"`
	Reply     *countywire.Reply `json:"reply,omitempty"`
	// Error says why there is no reply (none in time, not sent).
	Error string `json:"error,omitempty"`
}

// Act asks alarm k's site to acknowledge, arrive at or resolve it for
// who, after the county's own check of who's role, and waits for the
// site's reply. A reply that refuses is returned as it is, with a nil
// error.
func (v *View) Act(ctx context.Context, who permit.Caller, k Key, action, note string) (countywire.Reply, error) {
	switch action {
	case countywire.ActAck, countywire.ActArrive, countywire.ActResolve:
	default:
		return countywire.Reply{}, fmt.Errorf("%w: action %q: want ack, arrive or resolve", ErrBadRequest, action)
	}
	if err := permit.CheckRole(v.cfg.Registry(), who, permit.Act); err != nil {
		return countywire.Reply{}, fmt.Errorf("%w: %v", ErrForbidden, err)
	}
	a, ok := v.state.Get(k)
	if !ok {
		return countywire.Reply{}, fmt.Errorf("%w: %s", ErrNotFound, k)
	}
	if !Sees(v.cfg.Registry(), who, &a) {
		return countywire.Reply{}, fmt.Errorf("%w: %s serves none of the cells of alarm %s (%v)", ErrForbidden, who.ID, k, a.GridPath)
	}
	return v.request(ctx, k.Site, countywire.Request{By: who.ID, Action: action, AlarmID: k.ID, Note: note})
}

// Emergency switches emergency mode for grid on or off at each of sites;
// grid countywire.SiteWide ("") is the whole of each site.
func (v *View) Emergency(ctx context.Context, who permit.Caller, sites []string, grid string, on bool) ([]SiteReply, error) {
	if err := permit.CheckRole(v.cfg.Registry(), who, permit.Emergency); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrForbidden, err)
	}
	return v.fanOut(ctx, sites, countywire.Request{By: who.ID, Action: countywire.ActEmergency, Grid: grid, On: on,
		WholeSite: grid == countywire.SiteWide})
}

// Broadcast sends text to grid at each of sites.
func (v *View) Broadcast(ctx context.Context, who permit.Caller, sites []string, grid, text string) ([]SiteReply, error) {
	if err := permit.CheckRole(v.cfg.Registry(), who, permit.Broadcast); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrForbidden, err)
	}
	return v.fanOut(ctx, sites, countywire.Request{By: who.ID, Action: countywire.ActBroadcast, Grid: grid, Text: text})
}

// fanOut sends req to every site at once and gathers the replies, in the
// order of sites.
func (v *View) fanOut(ctx context.Context, sites []string, req countywire.Request) ([]SiteReply, error) {
	if len(sites) == 0 || len(sites) > MaxSites {
		return nil, fmt.Errorf("%w: sites: want 1 to %d, not %d", ErrBadRequest, MaxSites, len(sites))
	}
	for i, s := range sites {
		if !validSiteID(s) || slices.Contains(sites[:i], s) {
			return nil, fmt.Errorf("%w: sites[%d] %q: not a site id, or listed twice", ErrBadRequest, i, s)
		}
		if !v.state.KnownSite(s) {
			return nil, fmt.Errorf("%w: %s", ErrUnknownSite, s)
		}
	}
	probe := req
	probe.ID = "x"
	if err := probe.Check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	out := make([]SiteReply, len(sites))
	var wg sync.WaitGroup
	for i, s := range sites {
		wg.Go(func() {
			r := req
			r.ID = newRequestID()
			out[i] = SiteReply{Site: s, RequestID: r.ID}
			rep, err := v.send(ctx, s, r)
			if err != nil {
				out[i].Error = err.Error()
				return
			}
			out[i].Reply = &rep
		})
	}
	wg.Wait()
	return out, nil
}

// request sends one request to site and waits for the reply.
func (v *View) request(ctx context.Context, site string, req countywire.Request) (countywire.Reply, error) {
	if !v.state.KnownSite(site) {
		return countywire.Reply{}, fmt.Errorf("%w: %s", ErrUnknownSite, site)
	}
	req.ID = newRequestID()
	if err := req.Check(); err != nil {
		return countywire.Reply{}, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return v.send(ctx, site, req)
}

// send publishes req to site's down topic and waits, at most ReplyWait,
// for the reply with its id.
func (v *View) send(ctx context.Context, site string, req countywire.Request) (countywire.Reply, error) {
	if v.Ready() != nil {
		v.m.requests.WithLabelValues(req.Action, "error").Inc()
		return countywire.Reply{}, ErrNotConnected
	}
	req.AtMS = v.cfg.Now().UnixMilli()
	body, err := json.Marshal(req)
	if err != nil {
		return countywire.Reply{}, fmt.Errorf("county: encode request: %w", err)
	}
	ch := make(chan countywire.Reply, 1)
	v.mu.Lock()
	v.pending[req.ID] = pendingReply{site: site, ch: ch}
	v.mu.Unlock()
	defer func() {
		v.mu.Lock()
		delete(v.pending, req.ID)
		v.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(ctx, v.cfg.ReplyWait)
	defer cancel()
	topic := countywire.Topics{County: v.cfg.County, Site: site}.Down()
	tok := v.client.Publish(topic, 1, false, body)
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			v.m.requests.WithLabelValues(req.Action, "error").Inc()
			return countywire.Reply{}, fmt.Errorf("county: publish request %s to %s: %w", req.ID, site, err)
		}
	case <-ctx.Done():
		v.m.requests.WithLabelValues(req.Action, "no_reply").Inc()
		return countywire.Reply{}, fmt.Errorf("%w: request %s to site %s not even delivered to the cluster within %v", ErrNoReply, req.ID, site, v.cfg.ReplyWait)
	}
	v.log.Info("county: request sent", "site", site, "request", req.ID, "action", req.Action, "by", req.By, "alarm", req.AlarmID, "grid", req.Grid)
	select {
	case rep := <-ch:
		result := "ok"
		if !rep.OK {
			result = "refused"
		}
		v.m.requests.WithLabelValues(req.Action, result).Inc()
		return rep, nil
	case <-ctx.Done():
		v.m.requests.WithLabelValues(req.Action, "no_reply").Inc()
		return countywire.Reply{}, fmt.Errorf("%w: site %s did not answer request %s within %v", ErrNoReply, site, req.ID, v.cfg.ReplyWait)
	}
}

// reply hands a site's reply to the request waiting for it. Replies to
// requests of other views (every view reads every reply) are ignored.
func (v *View) reply(site string, payload []byte) {
	var rep countywire.Reply
	if err := json.Unmarshal(payload, &rep); err != nil {
		v.m.rejected.WithLabelValues(badJSON).Inc()
		v.warn.Warn("reply:"+site, "county: reply refused", "site", site, "err", err)
		return
	}
	v.mu.Lock()
	p, ok := v.pending[rep.ID]
	v.mu.Unlock()
	if !ok || p.site != site {
		return
	}
	select {
	case p.ch <- rep:
	default: // a second copy
	}
}

// newRequestID is a fresh request id: 24 hex digits.
func newRequestID() string { return "c" + randomHex(12) }
