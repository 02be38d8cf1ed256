package app

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/gridwatch/gridwatch/gateway/deliver"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/escalate"
)

// channelSMS names the SMS fallback in metrics and on alarm timelines.
const channelSMS = "sms"

// presence is a transport that can tell whether a staff phone is
// listening on its notify topic (the embedded broker can; an external one
// cannot).
type presence interface {
	Listening(topic string) bool
}

// pager pages one staff member for the escalation desk. MQTT goes first,
// always (a phone with a persistent session gets the page when it comes
// back). When that publish failed, or the embedded broker knows the
// phone app is not connected, the page falls back to SMS through a durable
// outbox — for staff with a phone number. A signed copy of every page goes
// to the webhook. Only the person-facing result counts: the desk retries a
// page that reached nobody; the outboxes retry their own sends.
type pager struct {
	mqtt    escalate.Notifier
	online  func(staffID string) bool // nil: cannot tell (external broker)
	sms     *deliver.Outbox           // nil without sms.url
	webhook *deliver.Outbox           // nil without webhook.url
	reg     func() *registry.Registry
	log     *slog.Logger
}

var _ escalate.ChannelNotifier = pager{}

func (p pager) Notify(ctx context.Context, staffID string, n event.Notification) error {
	_, err := p.NotifyVia(ctx, staffID, n)
	return err
}

func (p pager) NotifyVia(ctx context.Context, staffID string, n event.Notification) (string, error) {
	channel := escalate.PrimaryChannel
	err := p.mqtt.Notify(ctx, staffID, n)
	away := err == nil && p.online != nil && !p.online(staffID)
	if (err != nil || away) && p.sms != nil && p.hasPhone(staffID) {
		if serr := p.sms.Notify(ctx, staffID, n); serr != nil {
			p.log.Error("page not queued for SMS", "alarm", n.AlarmID, "staff", staffID, "err", serr)
		} else {
			p.log.Info("page falls back to SMS", "alarm", n.AlarmID, "staff", staffID, "phone_away", away, "mqtt_err", err)
			channel, err = channelSMS, nil
		}
	}
	if p.webhook != nil {
		if werr := p.webhook.Notify(ctx, staffID, n); werr != nil {
			p.log.Error("page not queued for the webhook", "alarm", n.AlarmID, "staff", staffID, "err", werr)
		}
	}
	return channel, err
}

func (p pager) hasPhone(staffID string) bool {
	_, ok := staffPhone(p.reg)(staffID)
	return ok
}

// staffPhone looks up a staff member's phone number in the registry as it
// is now.
func staffPhone(reg func() *registry.Registry) func(staffID string) (string, bool) {
	return func(id string) (string, bool) {
		s, ok := reg().Staff(id)
		if !ok {
			return "", false
		}
		return s.Phone, s.Phone != ""
	}
}

// openOutbox opens the durable outbox of one delivery channel in the data
// directory (outbox-NAME.db).
func (a *App) openOutbox(ch deliver.Channel, m *deliver.Metrics) (*deliver.Outbox, error) {
	o, err := deliver.Open(deliver.Config{
		Path: filepath.Join(a.cfg.DataDir, "outbox-"+ch.Name()+".db"), Channel: ch, Metrics: m,
		Logger: a.log.With("component", ch.Name()),
	})
	if err != nil {
		return nil, a.errf("%s outbox: %w", ch.Name(), err)
	}
	return o, nil
}

// smsChannel is the configured HTTP SMS gateway.
func (a *App) smsChannel() (*deliver.SMS, error) {
	c := a.cfg.SMS
	sc := deliver.SMSConfig{Name: channelSMS, URL: c.URL, Method: c.Method, Headers: c.Headers, Body: c.Body,
		Phone: staffPhone(a.reg.Get)}
	if c.Check != nil {
		sc.Check = &deliver.SMSCheck{Field: c.Check.Field, Equals: c.Check.Equals}
	}
	s, err := deliver.NewSMS(sc)
	if err != nil {
		return nil, a.errf("%w", err)
	}
	return s, nil
}
