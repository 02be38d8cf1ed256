package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

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

// pager pages one staff member for the escalation desk, through their
// channels in order (registry staff `channels:`, default app then SMS),
// each one a fallback for the one before:
//   - app: MQTT to the phone app. It counts as reached unless the publish
//     failed or the embedded broker knows the app is not connected — and
//     even then, when nothing after it works, the page waits in the app's
//     persistent session and counts as sent.
//   - sms: queued in the SMS gateway's durable outbox (which retries the
//     send itself), for staff with a phone number, when sms: is configured.
//
// A signed copy of every page goes to the webhook. Only the person-facing
// result counts: the desk retries a page that reached nobody.
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
	channel, err := p.page(ctx, staffID, n)
	if p.webhook != nil {
		if werr := p.webhook.Notify(ctx, staffID, n); werr != nil {
			p.log.Error("page not queued for the webhook", "alarm", n.AlarmID, "staff", staffID, "err", werr)
		}
	}
	return channel, err
}

// page tries the person's channels in order and returns the one that
// took the page.
func (p pager) page(ctx context.Context, staffID string, n event.Notification) (string, error) {
	order := registry.DefaultChannels
	if s, ok := p.reg().Staff(staffID); ok {
		order = s.PageOrder()
	}
	var errs []error
	parked := false // the app has it in its session, though not connected
	for i, ch := range order {
		var err error
		switch ch {
		case registry.ChannelApp:
			if err = p.mqtt.Notify(ctx, staffID, n); err == nil {
				if p.online == nil || p.online(staffID) {
					return escalate.PrimaryChannel, nil
				}
				parked = true
				err = errors.New("phone app not connected")
			}
		case registry.ChannelSMS:
			if err = p.queueSMS(ctx, staffID, n); err == nil {
				return channelSMS, nil
			}
		default:
			err = fmt.Errorf("unknown channel %q", ch)
		}
		errs = append(errs, fmt.Errorf("%s: %w", ch, err))
		if i+1 < len(order) {
			p.log.Info("page falls back to the next channel", "alarm", n.AlarmID, "staff", staffID, "failed", ch, "next", order[i+1], "err", err)
		}
	}
	if parked {
		return escalate.PrimaryChannel, nil
	}
	return "", fmt.Errorf("page %s to %s: no channel took it: %w", n.AlarmID, staffID, errors.Join(errs...))
}

func (p pager) queueSMS(ctx context.Context, staffID string, n event.Notification) error {
	switch {
	case p.sms == nil:
		return errors.New("no SMS gateway configured (sms:)")
	case !p.hasPhone(staffID):
		return errors.New("no phone number in the registry")
	}
	if err := p.sms.Notify(ctx, staffID, n); err != nil {
		p.log.Error("page not queued for SMS", "alarm", n.AlarmID, "staff", staffID, "err", err)
		return err
	}
	return nil
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
func (a *App) openOutbox(ch deliver.Channel, m *deliver.Metrics, now func() time.Time) (*deliver.Outbox, error) {
	o, err := deliver.Open(deliver.Config{
		Path: filepath.Join(a.cfg.DataDir, "outbox-"+ch.Name()+".db"), Channel: ch, Metrics: m, Now: now,
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
