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
	// remembered is how many request ids are kept to answer a repeat
	// with the first reply instead of acting twice.
	remembered = 4096
	actWait    = 10 * time.Second
)

// downlink takes requests off the connection and answers each.
type downlink struct {
	u     *Uplink
	reply func(countywire.Reply)
	in    chan []byte
	log   *ratelog.Limiter // requests are the county's input: rate-limited

	// replies remembers the answer to each recent request id (only the
	// downlink's goroutine touches them).
	replies map[string]countywire.Reply
	order   []string
}

func newDownlink(u *Uplink, reply func(countywire.Reply)) *downlink {
	return &downlink{u: u, reply: reply, in: make(chan []byte, requestQueue), replies: map[string]countywire.Reply{},
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
	if prev, ok := d.replies[req.ID]; ok && req.ID != "" {
		return prev, true // a repeat: the first answer again, nothing done twice
	}
	var rep countywire.Reply
	if err := req.Check(); err != nil {
		rep, _ = d.refuse(req, err, now)
	} else {
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

// refuse answers a request refused for its shape, and audits it.
func (d *downlink) refuse(req countywire.Request, err error, now int64) (countywire.Reply, bool) {
	d.u.m.answered(countywire.StatusBadRequest)
	d.u.cfg.Requests.Refused(req, err)
	d.log.Warn("refused", "uplink: county request refused", "request", req.ID, "err", err)
	return countywire.Reply{ID: req.ID, Status: countywire.StatusBadRequest, Error: err.Error(), AtMS: now}, req.ID != ""
}

func (d *downlink) remember(r countywire.Reply) {
	if r.ID == "" {
		return
	}
	if _, ok := d.replies[r.ID]; !ok {
		d.order = append(d.order, r.ID)
	}
	d.replies[r.ID] = r
	if len(d.order) > remembered {
		delete(d.replies, d.order[0])
		d.order = d.order[1:]
	}
}
