package app

import (
	"path/filepath"
	"time"

	"github.com/gridwatch/gridwatch/gateway/deliver"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// pagesFile is the page ledger in the data directory.
const pagesFile = "pages.db"

// presence is a transport that can tell whether a staff phone is
// listening on its notify topic (the embedded broker can; an external one
// cannot).
type presence interface {
	Listening(topic string) bool
}

// pages builds the page ledger the escalation desk and the broadcasts page
// through (deliver.Ledger: the app over MQTT until the person's client
// confirms, SMS after delivery.fallback_after), with the SMS and webhook
// outboxes when they are configured. Outcomes go back to whoever sent the
// page, through back: the desk for alarms, the broadcast service for
// broadcasts.
func (a *App) pages(p *parts, back *backEdges) (*deliver.Ledger, error) {
	lc := deliver.LedgerConfig{
		Path: filepath.Join(a.cfg.DataDir, pagesFile),
		App:  notifier{pub: p.transport, topics: a.topics},
		Channels: func(id string) []string {
			order := registry.DefaultChannels
			if s, ok := a.reg.Get().Staff(id); ok {
				order = s.PageOrder()
			}
			out := make([]string, len(order))
			for i, c := range order {
				out[i] = string(c)
			}
			return out
		},
		HasPhone:      func(id string) bool { _, ok := staffPhone(a.reg.Get)(id); return ok },
		FallbackAfter: a.cfg.Delivery.FallbackAfter,
		Now:           p.clock.Now,
		Report:        back.PageReport,
		Logger:        a.log.With("component", "pages"), Registerer: a.metrics,
	}
	if pr, ok := p.transport.(presence); ok {
		lc.Listening = func(id string) bool { return pr.Listening(a.topics.Notify(id)) }
	}
	if a.cfg.Webhook.URL != "" || a.cfg.SMS.URL != "" {
		m, err := deliver.NewMetrics(a.metrics)
		if err != nil {
			return nil, a.errf("delivery metrics: %w", err)
		}
		if a.cfg.Webhook.URL != "" {
			wh, err := deliver.NewWebhook(deliver.WebhookConfig{URL: a.cfg.Webhook.URL, Secret: []byte(a.cfg.Webhook.Secret)})
			if err != nil {
				return nil, a.errf("%w", err)
			}
			if p.webhook, err = a.openOutbox(wh, m, p.clock.Now, nil); err != nil {
				return nil, err
			}
			p.closers = append(p.closers, p.webhook.Close)
			lc.Webhook = p.webhook
		}
		if a.cfg.SMS.URL != "" {
			ch, err := a.smsChannel()
			if err != nil {
				return nil, err
			}
			if p.sms, err = a.openOutbox(ch, m, p.clock.Now, back); err != nil {
				return nil, err
			}
			p.closers = append(p.closers, p.sms.Close)
			lc.SMS = p.sms
		}
	}
	l, err := deliver.OpenLedger(lc)
	if err != nil {
		return nil, a.errf("%w", err)
	}
	p.closers = append(p.closers, l.Close)
	return l, nil
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

// ledgerNews is the page ledger as an outbox it pages through tells it
// what became of a page.
type ledgerNews interface {
	Delivered(staffID, pageID, channel string)
	Failed(staffID, pageID, channel, why string)
}

// openOutbox opens the durable outbox of one delivery channel in the data
// directory (outbox-NAME.db). With a ledger, the outbox tells it what
// became of each page it took (the SMS fallback).
func (a *App) openOutbox(ch deliver.Channel, m *deliver.Metrics, now func() time.Time, ledger ledgerNews) (*deliver.Outbox, error) {
	cfg := deliver.Config{
		Path: filepath.Join(a.cfg.DataDir, "outbox-"+ch.Name()+".db"), Channel: ch, Metrics: m, Now: now,
		Logger: a.log.With("component", ch.Name()),
	}
	if ledger != nil {
		cfg.Delivered = func(staffID string, n event.Notification, _ string) {
			ledger.Delivered(staffID, n.PageID, event.PageSMS)
		}
		cfg.Failed = func(staffID string, n event.Notification, _ string, why string) {
			ledger.Failed(staffID, n.PageID, event.PageSMS, why)
		}
	}
	o, err := deliver.Open(cfg)
	if err != nil {
		return nil, a.errf("%s outbox: %w", ch.Name(), err)
	}
	return o, nil
}

// smsChannel is the configured HTTP SMS gateway.
func (a *App) smsChannel() (*deliver.SMS, error) {
	c := a.cfg.SMS
	sc := deliver.SMSConfig{Name: event.PageSMS, URL: c.URL, Method: c.Method, Headers: c.Headers, Body: c.Body,
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

// receipts takes phones' page receipts from ingest to the ledger.
type receipts struct{ ledger *deliver.Ledger }

func (r receipts) Received(staffID, pageID string) {
	r.ledger.Delivered(staffID, pageID, event.PageApp)
}
