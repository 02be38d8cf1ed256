package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/gridwatch/gridwatch/gateway/broadcast"
	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/gateway/uplink"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/gridwatch/gridwatch/rules/escalate"
)

// auditCounty is the audit kind of every request from the county tier,
// done or refused.
const auditCounty alarm.AuditKind = "county"

// uplinkFile is the uplink's outbox in the data directory.
const uplinkFile = "uplink.db"

// openUplink opens the link to the county (nil without uplink.url). The
// desk, the tracker and the broadcast service must be built: county
// requests act through them.
func (a *App) openUplink(p *parts) (*uplink.Uplink, error) {
	u := a.cfg.Uplink
	if !u.Enabled() {
		return nil, nil
	}
	tlsCfg, err := uplinkTLS(u.TLS.CA, u.TLS.Cert, u.TLS.Key)
	if err != nil {
		return nil, a.errf("uplink: %w", err)
	}
	now := p.clock.Now
	up, err := uplink.Open(uplink.Config{
		URL: u.URL, County: u.County, Site: a.cfg.Site, ClientID: u.ClientID, Username: u.Username, Password: u.Password,
		TLS: tlsCfg, Path: filepath.Join(a.cfg.DataDir, uplinkFile), MaxBytes: u.OutboxMaxBytes, SummaryEvery: u.SummaryEvery,
		RequestMaxAge: u.RequestMaxAge,
		Summary:       func() countywire.Summary { return a.siteSummary(p) },
		Describe:      func(al alarm.Alarm) ([]string, []string, string) { return describeAlarm(a.reg.Get(), al) },
		Requests: countyRequests{desk: p.desk, broadcast: p.broadcast, store: p.store, reg: a.reg.Get,
			now: func() int64 { return now().UnixMilli() }, onErr: a.log.Error},
		Now: now, Logger: a.log.With("component", "uplink"), Registerer: a.metrics,
	})
	if err != nil {
		return nil, a.errf("%w", err)
	}
	return up, nil
}

// uplinkTLS is the uplink's TLS configuration: nil when nothing is given
// (an mqtts:// URL then trusts the system's CAs).
func uplinkTLS(ca, cert, key string) (*tls.Config, error) {
	if ca == "" && cert == "" {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("tls.ca: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca %s: no PEM certificate", ca)
		}
	}
	if cert != "" {
		kp, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("tls.cert/key: %w", err)
		}
		c.Certificates = []tls.Certificate{kp}
	}
	return c, nil
}

// siteSummary is the periodic summary the county gets.
func (a *App) siteSummary(p *parts) countywire.Summary {
	s := countywire.Summary{Ready: p.ready() == nil}
	if open, err := p.desk.List(alarm.Filter{State: alarm.FilterOpen, Limit: alarm.MaxLimit}); err == nil {
		s.OpenAlarms = len(open)
	}
	for _, d := range p.tracker.List() {
		switch d.State {
		case devices.Online:
			s.DevicesOnline++
		case devices.Offline:
			s.DevicesOffline++
		}
	}
	if on, err := p.desk.Emergencies(); err == nil {
		s.Emergency = emergencyScopes(a.reg.Get(), on)
	} else {
		a.log.Warn("uplink: emergency mode not told to the county", "err", err)
	}
	return s
}

// emergencyScopes is the county's view of the scopes in emergency mode,
// with the cells' names.
func emergencyScopes(reg *registry.Registry, on []alarm.Emergency) *countywire.Emergency {
	e := &countywire.Emergency{Scopes: []countywire.EmergencyScope{}}
	for _, x := range on {
		if !x.On {
			continue
		}
		sc := countywire.EmergencyScope{Grid: x.Scope, By: x.By, AtMS: x.At}
		if g, ok := reg.Grid(x.Scope); ok {
			sc.GridName = g.Name
		}
		e.Scopes = append(e.Scopes, sc)
	}
	return e
}

// describeAlarm gives the county an alarm's grid path (cell first), the
// cells' names and the device's name.
func describeAlarm(reg *registry.Registry, al alarm.Alarm) (path, names []string, device string) {
	for _, g := range reg.Ancestors(al.Grid) {
		path, names = append(path, g.ID), append(names, g.Name)
	}
	if d, ok := reg.Device(al.Device); ok {
		device = d.Name
	}
	return path, names, device
}

// presence turns the tracker's device changes into the county's presence
// records: one per registered device going online or offline.
type countyPresence struct {
	up *uplink.Uplink
	mu sync.Mutex
	// last is each device's state as last told.
	last map[string]string
}

func (p *countyPresence) change(st devices.Status) {
	if !st.Registered || (st.State != devices.Online && st.State != devices.Offline) {
		return
	}
	p.mu.Lock()
	prev := p.last[st.ID]
	p.last[st.ID] = st.State
	p.mu.Unlock()
	if prev == st.State {
		return
	}
	p.up.Presence(countywire.Presence{Device: st.ID, Kind: string(st.Kind), Grid: st.Grid, Online: st.State == devices.Online})
}

// countyRequests acts on the county's requests as the HTTP API would for
// the same person: the named staff member must be in this site's
// registry (the county's command centre and police are in every
// community's), and the desk and the broadcast service hold them to the
// permission table. Every request is audited.
type countyRequests struct {
	desk      *escalate.Desk
	broadcast *broadcast.Service
	store     *alarm.Store
	reg       func() *registry.Registry
	now       func() int64
	onErr     func(msg string, args ...any)
}

var _ uplink.Requests = countyRequests{}

func (c countyRequests) Do(ctx context.Context, r countywire.Request) (int, error) {
	err := c.do(ctx, r)
	status := requestStatus(err)
	c.audit(r, err)
	return status, err
}

func (c countyRequests) do(ctx context.Context, r countywire.Request) error {
	if _, ok := c.reg().Staff(r.By); !ok {
		return fmt.Errorf("%q is not a staff member of this site: %w", r.By, escalate.ErrForbidden)
	}
	who := permit.Staff(r.By)
	switch r.Action {
	case countywire.ActAck, countywire.ActArrive, countywire.ActResolve:
		_, err := c.desk.ActAs(ctx, who, event.Action{AlarmID: r.AlarmID, Kind: event.ActionKind(r.Action), Note: r.Note, Channel: "county"})
		return err
	case countywire.ActEmergency:
		return c.desk.SetEmergency(ctx, r.Grid, r.On, who)
	case countywire.ActBroadcast:
		_, err := c.broadcast.Send(ctx, r.Grid, r.Text, who)
		return err
	}
	return fmt.Errorf("action %q: %w", r.Action, broadcast.ErrBadRequest)
}

// Refused audits a request the uplink refused for its shape.
func (c countyRequests) Refused(r countywire.Request, why error) { c.audit(r, why) }

func (c countyRequests) audit(r countywire.Request, err error) {
	rec := alarm.AuditRecord{At: c.now(), Kind: auditCounty, By: r.By, Action: "county " + r.Action, Alarm: r.AlarmID, Grid: r.Grid}
	if r.ID != "" {
		rec.Reason = "request " + r.ID
	}
	if err != nil {
		rec.Reason += ": refused: " + err.Error()
	}
	if rec.By == "" {
		rec.By = "(county)"
	}
	if r.Action == "" {
		rec.Action = "county request"
	}
	if e := c.store.AppendAudit(rec); e != nil {
		c.onErr("audit record not written", "kind", rec.Kind, "by", rec.By, "err", e)
	}
}

// requestStatus is the reply status of a request's outcome.
func requestStatus(err error) int {
	switch {
	case err == nil:
		return countywire.StatusOK
	case errors.Is(err, escalate.ErrForbidden), errors.Is(err, broadcast.ErrForbidden):
		return countywire.StatusForbidden
	case errors.Is(err, escalate.ErrNotFound), errors.Is(err, escalate.ErrUnknownGrid),
		errors.Is(err, broadcast.ErrNotFound), errors.Is(err, broadcast.ErrUnknownGrid):
		return countywire.StatusNotFound
	case errors.Is(err, alarm.ErrTransition):
		return countywire.StatusConflict
	case errors.Is(err, alarm.ErrAction), errors.Is(err, broadcast.ErrBadRequest):
		return countywire.StatusBadRequest
	}
	return countywire.StatusError
}

// syncUplink queues what the county has not been told of the alarms open
// now (after the rules replayed) — the steps the outbox lacks, or all of
// an alarm's steps when the outbox never had it — and of the alarms the
// county still has open that closed meanwhile (a crash lost the news).
func (a *App) syncUplink(p *parts) {
	open, err := p.desk.List(alarm.Filter{State: alarm.FilterOpen, Limit: alarm.MaxLimit})
	if err != nil {
		a.log.Warn("uplink: open alarms not synced", "err", err)
		return
	}
	listed := map[string]bool{}
	for _, al := range open {
		listed[al.ID] = true
	}
	for _, id := range p.uplink.Unclosed() {
		if listed[id] {
			continue
		}
		if al, ok, err := p.desk.Get(id); err == nil && ok {
			open = append(open, al)
		}
	}
	p.uplink.Sync(open)
}
