package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gridwatch/gridwatch/gateway/commission"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/httpapi"
	"github.com/gridwatch/gridwatch/gateway/ingest"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/gridwatch/gridwatch/rules/silence"
)

// This file wires installers' commissioning sessions (gateway/commission):
// their test mode is an operators' test silence that ends with the
// session, and they are fed what ingest accepted through two thin
// wrappers around ingest's journal and device tracker.

// openCommission opens the sessions kept in the data directory. Their
// changes are published on the HTTP stream once the API is built (by the
// service's Run, at most every commission.LiveEvery per session).
func (a *App) openCommission(p *parts, now func() time.Time) (*commission.Service, error) {
	svc, err := commission.Open(commission.Config{Path: filepath.Join(a.cfg.DataDir, "commissioning.json"),
		Registry: a.reg.Get, TestMode: silenceTestMode{set: a.silences, now: now}, Now: now,
		OnChange: func(ss commission.Session) {
			if p.http != nil {
				p.http.PublishCommissioning(ss)
			}
		},
		Logger: a.log.With("component", "commission")})
	if err != nil {
		return nil, a.errf("%w", err)
	}
	return svc, nil
}

// silenceTestMode is a session's test mode: a test silence of its
// devices whose until is the session's end, so that it ends by itself
// when the session expires, with or without the gateway running then.
type silenceTestMode struct {
	set *silence.Set
	now func() time.Time
}

func testSilenceID(session string) string { return "commission-" + session }

func (m silenceTestMode) Start(id string, devices []string, until time.Time, who permit.Caller) error {
	_, err := m.set.Put(silence.Silence{ID: testSilenceID(id), Reason: "调试会话 " + id + " (commissioning)",
		Devices: devices, Test: true, Until: until}, who)
	return err
}

// Release takes devices that passed out of the session's test silence
// (the last one removes it). The session releases them itself, as the
// gateway: the audit log says so.
func (m silenceTestMode) Release(id string, devices []string) error {
	sil, ok := m.set.Get(testSilenceID(id))
	if !ok {
		return nil // ended
	}
	out := make(map[string]bool, len(devices))
	for _, d := range devices {
		out[d] = true
	}
	keep := slices.DeleteFunc(slices.Clone(sil.Devices), func(d string) bool { return out[d] })
	if len(keep) == len(sil.Devices) {
		return nil
	}
	rec := alarm.AuditRecord{At: m.now().UnixMilli(), Kind: alarm.AuditSilence, By: "commission", Action: "silence_set",
		Reason: fmt.Sprintf("%s: %d passed, out of test mode (%s)", sil.ID, len(sil.Devices)-len(keep), strings.Join(devices[:min(len(devices), 10)], ", "))}
	if len(keep) == 0 {
		rec.Action = "silence_removed"
		_, err := m.set.Delete(sil.ID, rec)
		return err
	}
	sil.Devices = keep
	return m.set.Add(sil, rec)
}

func (m silenceTestMode) Stop(id string, who permit.Caller) error {
	err := m.set.Remove(testSilenceID(id), who)
	if errors.Is(err, silence.ErrNotFound) {
		return nil // it ended by itself
	}
	return err
}

// commissionJournal tells the sessions of every event ingest made durable.
type commissionJournal struct {
	ingest.Journal
	sessions *commission.Service
}

func (j commissionJournal) Append(ctx context.Context, ev *event.Event) error {
	err := j.Journal.Append(ctx, ev)
	if err == nil {
		j.sessions.Event(ev)
	}
	return err
}

// commissionDevices tells the sessions of every heartbeat and sample.
type commissionDevices struct {
	ingest.Devices
	sessions *commission.Service
}

func (d commissionDevices) Seen(id string, atMS int64) {
	d.Devices.Seen(id, atMS)
	d.sessions.Seen(id, atMS)
}

func (d commissionDevices) Telemetry(t event.Telemetry) {
	d.Devices.Telemetry(t)
	d.sessions.Telemetry(t)
}

// commissionAPI serves the sessions to the HTTP API: errors get their
// status, and starts, ends and refusals are audited.
type commissionAPI struct {
	svc   *commission.Service
	store *alarm.Store
	now   func() time.Time
	onErr func(msg string, args ...any)
}

var _ httpapi.Commissioning = commissionAPI{}

func (c commissionAPI) Start(req commission.Request, who permit.Caller) (commission.Session, error) {
	ss, err := c.svc.Start(req, who)
	if err != nil {
		return ss, c.fail(err, who, "commission_start")
	}
	c.audit(alarm.AuditRecord{Kind: alarm.AuditCommission, By: who.ID, Action: "commission_start", Grid: req.Grid,
		Reason: ss.ID})
	return ss, nil
}

func (c commissionAPI) Get(id string, who permit.Caller) (commission.Session, error) {
	ss, err := c.svc.Get(id, who)
	return ss, c.status(err)
}

func (c commissionAPI) List(who permit.Caller) []commission.Session { return c.svc.List(who) }

func (c commissionAPI) End(id string, who permit.Caller) (commission.Session, error) {
	ss, err := c.svc.End(id, who)
	if err != nil {
		return ss, c.fail(err, who, "commission_end")
	}
	c.audit(alarm.AuditRecord{Kind: alarm.AuditCommission, By: who.ID, Action: "commission_end", Grid: ss.Grid, Reason: ss.ID})
	return ss, nil
}

func (c commissionAPI) fail(err error, who permit.Caller, action string) error {
	if errors.Is(err, commission.ErrForbidden) {
		c.audit(alarm.AuditRecord{Kind: alarm.AuditRefused, By: who.ID, Action: action, Reason: err.Error()})
	}
	return c.status(err)
}

func (c commissionAPI) status(err error) error {
	if err == nil {
		return nil
	}
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, commission.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, commission.ErrForbidden), errors.Is(err, silence.ErrForbidden):
		code = http.StatusForbidden
	case errors.Is(err, commission.ErrBadScope):
		code = http.StatusBadRequest
	case errors.Is(err, commission.ErrBusy):
		code = http.StatusConflict
	}
	return &statusError{code: code, err: err}
}

func (c commissionAPI) audit(rec alarm.AuditRecord) {
	rec.At = c.now().UnixMilli()
	if err := c.store.AppendAudit(rec); err != nil {
		c.onErr("audit record not written", "kind", rec.Kind, "by", rec.By, "err", err)
	}
}
