package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/httpapi"
	"github.com/gridwatch/gridwatch/gateway/ingest"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/gridwatch/gridwatch/rules/escalate"
)

// publisher is what both MQTT transports offer the gateway for sending.
type publisher interface {
	Publish(topic string, payload []byte, qos byte, retain bool) error
}

// notifier pages staff on R/staff/{id}/notify with QoS 1.
type notifier struct {
	pub    publisher
	topics wire.Topics
}

var _ escalate.Notifier = notifier{}

func (n notifier) Notify(_ context.Context, staffID string, note event.Notification) error {
	b, err := json.Marshal(note)
	if err != nil {
		return fmt.Errorf("encode notification: %w", err)
	}
	return n.pub.Publish(n.topics.Notify(staffID), b, 1, false)
}

// board keeps the retained R/alarms/{id} state and the console's live
// stream up to date. A closed alarm's retained message is cleared.
type board struct {
	pub    publisher
	topics wire.Topics
	// live takes each change on (backEdges.PublishAlarm) with state, the
	// alarm's JSON the retained message carries (json.Marshal of it, the
	// same bytes the county's records carry as their state), shared and
	// never modified; nil for a closed alarm, which has no retained
	// state, and when it could not be encoded.
	live  func(a alarm.Alarm, state []byte)
	onErr func(error)
	log   *slog.Logger // nil: the resync is not logged
}

var _ escalate.BoardResyncer = board{}

// retainedLister is a transport that can list its retained messages: the
// embedded broker.
type retainedLister interface {
	Retained(filter string) []string
}

// Publish encodes an open alarm once for its retained message and the
// county's record (the console's stream sends it without its timeline,
// encoded apart).
func (b board) Publish(a alarm.Alarm) {
	var state []byte
	if !a.State.Closed() {
		var err error
		if state, err = json.Marshal(a); err != nil {
			b.onErr(fmt.Errorf("encode alarm %s: %w", a.ID, err))
			b.live(a, nil)
			return
		}
	}
	b.live(a, state)
	b.retain(a, state)
}

// Resync shows every open alarm's state again and, on a broker that can
// list its retained messages (the embedded one, whose store writes the
// board behind), clears the retained state of every other alarm: a close
// the broker's store lost in a crash. On an external broker the retained
// board is that broker's, and only the open alarms are shown again.
func (b board) Resync(open []alarm.Alarm) {
	cleared := 0
	defer func() {
		if b.log != nil {
			b.log.Info("alarm board shown afresh", "open", len(open), "cleared", cleared)
		}
	}()
	if l, ok := b.pub.(retainedLister); ok {
		keep := make(map[string]bool, len(open))
		for _, a := range open {
			keep[b.topics.Alarm(a.ID)] = true
		}
		for _, topic := range l.Retained(b.topics.Alarm("+")) {
			if keep[topic] {
				continue
			}
			if err := b.pub.Publish(topic, nil, 1, true); err != nil {
				b.onErr(fmt.Errorf("clear %s: %w", topic, err))
				continue
			}
			cleared++
		}
	}
	for _, a := range open {
		b.retain(a, nil)
	}
}

// retain publishes a's state on its retained topic (state, its JSON, or
// encoded here when nil), or clears it once a is closed.
func (b board) retain(a alarm.Alarm, state []byte) {
	var payload []byte
	if !a.State.Closed() {
		payload = state
		var err error
		if payload == nil {
			payload, err = json.Marshal(a)
		}
		if err != nil {
			b.onErr(fmt.Errorf("encode alarm %s: %w", a.ID, err))
			return
		}
	}
	if err := b.pub.Publish(b.topics.Alarm(a.ID), payload, 1, true); err != nil {
		b.onErr(fmt.Errorf("publish alarm %s: %w", a.ID, err))
	}
}

// replies routes staff replies from MQTT to the desk. The caller is the
// staff member of the reply topic, which the broker lets only that MQTT
// user publish to: act.By, resolved at the MQTT edge.
type replies struct{ desk *escalate.Desk }

var _ ingest.Replies = replies{}

func (r replies) Reply(ctx context.Context, act event.Action) error {
	_, err := r.desk.ActAs(ctx, permit.Staff(act.By), act)
	return err
}

// apiDesk is the desk as the HTTP API sees it: an action of the caller
// the API resolved (a token's owner, a body's "by" with auth off, or the
// local console), checked by the desk against the permission table.
type apiDesk struct{ desk *escalate.Desk }

var _ httpapi.Alarms = apiDesk{}

func (c apiDesk) List(f alarm.Filter) ([]alarm.Alarm, error) { return c.desk.List(f) }

func (c apiDesk) Get(id string) (alarm.Alarm, bool, error) { return c.desk.Get(id) }

func (c apiDesk) Act(ctx context.Context, who permit.Caller, act event.Action) (alarm.Alarm, error) {
	return c.desk.ActAs(ctx, who, act)
}

// deskRunning reports a stopped desk as not ready.
func deskRunning(d *escalate.Desk) error {
	select {
	case <-d.Done():
		return errors.New("escalation desk stopped")
	default:
		return nil
	}
}
