package uplink

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/gateway/ratelog"
)

// Requests acts on the county's requests for this gateway.
type Requests interface {
	// Do checks the named staff member against the site's registry and
	// permission table, acts, audits, and returns the reply status
	// (countywire.Status*) and, for a refusal or failure, why. The uplink
	// has already checked the request's shape and dropped repeats.
	Do(ctx context.Context, r countywire.Request) (status int, err error)
	// Refused audits a request the uplink refused itself (too large,
	// malformed, a bad shape); r holds what could be read of it.
	Refused(r countywire.Request, why error)
}

// Downlink tuning.
const (
	requestQueue = 64
	actWait      = 10 * time.Second
	// DefaultRequestMaxAge is how old (by its at_ms) a request may be
	// when it arrives, unless Config.RequestMaxAge says otherwise.
	DefaultRequestMaxAge = 10 * time.Minute
	// requestAhead is how far ahead of the gateway's clock a request's
	// at_ms may be: the county's clock and the site's differ a little.
	requestAhead = 2 * time.Minute
)

// unknownOutcome is the reply kept while a request is being acted on: a
// repeat after a crash in between gets it rather than a second action.
const unknownOutcome = "the gateway stopped while acting on this request; its outcome is unknown: check the alarm, or ask again with a new id"

// downlink takes requests off the connection and answers each.
type downlink struct {
	u     *Uplink
	reply func(countywire.Reply)
	in    chan []byte
	log   *ratelog.Limiter // requests are the county's input: rate-limited
}

func newDownlink(u *Uplink, reply func(countywire.Reply)) *downlink {
	return &downlink{u: u, reply: reply, in: make(chan []byte, requestQueue),
		log: ratelog.New(u.cfg.Logger, 10*time.Second, nil)}
}

// take queues a request; it never blocks paho's goroutine.
func (d *downlink) take(payload []byte) {
	select {
	case d.in <- append([]byte(nil), payload...):
	default:
		d.u.m.reqDropped.Inc()
	}
}

func (d *downlink) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-d.in:
			if r, ok := d.handle(ctx, p); ok {
				d.reply(r)
			}
		}
	}
}

// handle answers one request; ok is false when there is no id to answer.
func (d *downlink) handle(ctx context.Context, payload []byte) (countywire.Reply, bool) {
	now := d.u.cfg.Now().UnixMilli()
	if len(payload) > countywire.MaxRequestBytes {
		return d.refuse(countywire.Request{}, fmt.Errorf("request of %d bytes: at most %d", len(payload), countywire.MaxRequestBytes), now)
	}
	var req countywire.Request
	if err := json.Unmarshal(payload, &req); err != nil {
		var part struct {
			ID string `json:"id"`
			By string `json:"by"`
		}
		_ = json.Unmarshal(payload, &part)
		return d.refuse(countywire.Request{ID: part.ID, By: part.By}, fmt.Errorf("malformed request: %w", err), now)
	}
	if req.ID != "" {
		prev, ok, err := d.u.box.reply(req.ID)
		if err != nil {
			d.log.Warn("store", "uplink: answered requests not readable", "request", req.ID, "err", err)
		}
		if ok {
			return prev, true // a repeat: the first answer again, nothing done twice
		}
	}
	var rep countywire.Reply
	if err := req.Check(); err != nil {
		rep, _ = d.refuse(req, err, now)
	} else if err := d.dated(req, now); err != nil {
		d.u.m.stale.Inc()
		rep, _ = d.refuseAs(countywire.StatusConflict, req, err, now)
	} else {
		// Kept before acting: a kill -9 while acting leaves a repeat
		// answered "outcome unknown", not acted on twice.
		d.remember(countywire.Reply{ID: req.ID, Status: countywire.StatusError, Error: unknownOutcome, AtMS: now})
		actx, cancel := context.WithTimeout(ctx, actWait)
		status, err := d.u.cfg.Requests.Do(actx, req)
		cancel()
		rep = countywire.Reply{ID: req.ID, OK: status == countywire.StatusOK && err == nil, Status: status, AtMS: d.u.cfg.Now().UnixMilli()}
		if err != nil {
			rep.Error = err.Error()
			if rep.Status == countywire.StatusOK {
				rep.Status = countywire.StatusError
			}
		}
		d.u.m.answered(rep.Status)
	}
	d.remember(rep)
	return rep, rep.ID != ""
}

// dated checks a request's at_ms against the gateway's clock (now, Unix
// ms): a request made more than the max age ago (held in a broker
// through an outage) or more than requestAhead in the future is stale.
// The max age is Config.RequestMaxAge, or DefaultRequestMaxAge when it is
// 0. A request without at_ms cannot be dated: with RequestMaxAge set it
// is refused too (a replayed or forged old request must not pass by
// leaving at_ms out); with RequestMaxAge 0 it passes, as the contract
// has always said.
func (d *downlink) dated(req countywire.Request, now int64) error {
	maxAge := d.u.cfg.RequestMaxAge
	if req.AtMS == 0 {
		if maxAge > 0 {
			return fmt.Errorf("undated request: no at_ms, and this site refuses requests it cannot date (uplink.request_max_age is %v); ask again with at_ms", maxAge)
		}
		return nil
	}
	if maxAge <= 0 {
		maxAge = DefaultRequestMaxAge
	}
	if age := time.Duration(now-req.AtMS) * time.Millisecond; age > maxAge {
		return fmt.Errorf("stale request: made %v ago (at_ms %d), at most %v (uplink.request_max_age); ask again",
			age.Truncate(time.Second), req.AtMS, maxAge)
	} else if -age > requestAhead {
		return fmt.Errorf("request dated %v in the future (at_ms %d), at most %v: the county's clock or the site's is wrong",
			(-age).Truncate(time.Second), req.AtMS, requestAhead)
	}
	return nil
}

// refuse answers a request refused for its shape, and audits it.
func (d *downlink) refuse(req countywire.Request, err error, now int64) (countywire.Reply, bool) {
	return d.refuseAs(countywire.StatusBadRequest, req, err, now)
}

// refuseAs answers a request the uplink refused itself with status, and
// audits it.
func (d *downlink) refuseAs(status int, req countywire.Request, err error, now int64) (countywire.Reply, bool) {
	d.u.m.answered(status)
	d.u.cfg.Requests.Refused(req, err)
	d.log.Warn("refused", "uplink: county request refused", "request", req.ID, "err", err)
	return countywire.Reply{ID: req.ID, Status: status, Error: err.Error(), AtMS: now}, req.ID != ""
}

// remember keeps the reply to a request in the outbox file, so that a
// repeat, even after a restart, gets it again.
func (d *downlink) remember(r countywire.Reply) {
	if r.ID == "" {
		return
	}
	if err := d.u.box.keepReply(r, d.u.cfg.Now()); err != nil {
		d.u.m.writeFailed.Inc()
		d.log.Warn("store", "uplink: reply not kept; a repeat of this request would be acted on again", "request", r.ID, "err", err)
	}
}
