package app

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gridwatch/gridwatch/gateway/command"
	"github.com/gridwatch/gridwatch/gateway/commission"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/httpapi"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// deviceCommands serves POST /api/v1/devices/{id}/commands: it checks
// the caller (permit.Command over the device's cell), sends through the
// rules' own router (serial bus queue or MQTT) and audits every command
// sent or refused.
type deviceCommands struct {
	reg    func() *registry.Registry
	routes *commandRouter
	store  *alarm.Store
	now    func() time.Time
	onErr  func(msg string, args ...any)
	// sessions, if set, are told each command's answer (commissioning's
	// command check).
	sessions *commission.Service
}

var _ httpapi.DeviceCommands = deviceCommands{}

func (d deviceCommands) Command(ctx context.Context, who permit.Caller, c event.Command) (httpapi.CommandResult, error) {
	reg := d.reg()
	dev, ok := reg.Device(c.Device)
	if !ok {
		return httpapi.CommandResult{}, withStatus(http.StatusNotFound, "device %s is not in the registry", c.Device)
	}
	if err := permit.Check(reg, who, permit.Command, permit.Target{Grid: dev.Grid}); err != nil {
		err = withStatus(http.StatusForbidden, "command %s to %s: %v", c.Cmd, c.Device, err)
		d.audit(alarm.AuditRecord{Kind: alarm.AuditRefused, By: who.ID, Action: "command " + c.Cmd, Grid: dev.Grid,
			Reason: err.Error()})
		return httpapi.CommandResult{}, err
	}
	sent := d.now().UnixMilli()
	res, err := d.routes.SendWait(ctx, c)
	rec := alarm.AuditRecord{Kind: alarm.AuditCommand, By: who.ID, Action: "command " + c.Cmd + " " + c.Device, Grid: dev.Grid}
	if err != nil {
		rec.Reason = "not sent: " + err.Error()
		d.audit(rec)
		code := http.StatusServiceUnavailable
		if errors.Is(err, errNoSerialBus) {
			code = http.StatusConflict
		}
		return httpapi.CommandResult{}, withStatus(code, "command %s to %s: %v", c.Cmd, c.Device, err)
	}
	out := httpapi.CommandResult{ID: res.ID, Device: c.Device, Cmd: c.Cmd, Outcome: res.Outcome, Error: res.Error,
		SentMS: res.SentMS, AckMS: res.DoneMS}
	if out.SentMS == 0 {
		out.SentMS = sent
	}
	if out.AckMS == 0 && out.Outcome != command.Timeout {
		out.AckMS = d.now().UnixMilli()
	}
	if out.Outcome == command.Timeout {
		out.AckMS = 0
	}
	if d.sessions != nil {
		d.sessions.CommandResult(c.Device, c.Cmd, out.Outcome, out.Error, out.SentMS, out.AckMS)
	}
	rec.Reason = out.Outcome
	if out.Error != "" {
		rec.Reason += ": " + out.Error
	}
	d.audit(rec)
	return out, nil
}

func (d deviceCommands) audit(rec alarm.AuditRecord) {
	rec.At = d.now().UnixMilli()
	if err := d.store.AppendAudit(rec); err != nil && d.onErr != nil {
		d.onErr("audit record not written", "kind", rec.Kind, "by", rec.By, "err", err)
	}
}
