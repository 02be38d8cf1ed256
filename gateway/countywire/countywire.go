// Package countywire is the county tier's wire contract: the topics a
// community gateway's uplink publishes under on the county's MQTT cluster,
// the records it sends up, and the requests the county sends down. Both
// ends — a gateway's uplink and the county view — speak only this
// package, and docs/contract.md describes it for other implementations.
//
// Everything lives under {root}/county/{county}/site/{site}/, root being
// "gridwatch/v1":
//
//	events         QoS 1, not retained: every Record, in Seq order
//	alarm/{id}     QoS 1, retained: the current state of each open alarm
//	               (an Alarm record); an empty retained payload once it
//	               closes, so a view that starts late sees every open one
//	summary        QoS 1, retained: the latest Summary record (also
//	               sent at once when emergency mode is switched)
//	status         QoS 1, retained: Status; the gateway's will says offline
//	down           QoS 1: Requests from the county to this gateway
//	reply          QoS 1: the gateway's Reply to each Request
//
// A record's ID is unique across the county ("{site}:{seq}"); delivery is
// at least once, so the county side drops an ID it has seen. Seq counts
// up by one per record a site sends; a gap means summaries were shed
// while the county was unreachable (alarm records are never shed).
//
// The package imports only the standard library.
package countywire

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Root is the topic root of the county tier.
const Root = "gridwatch/v1"

// Topics builds one site's county topics.
type Topics struct {
	County, Site string
}

func (t Topics) base() string { return Root + "/county/" + t.County + "/site/" + t.Site }

// Events is the stream of records.
func (t Topics) Events() string { return t.base() + "/events" }

// Alarm is the retained state of one open alarm.
func (t Topics) Alarm(id string) string { return t.base() + "/alarm/" + id }

// Summary is the retained latest summary.
func (t Topics) Summary() string { return t.base() + "/summary" }

// Status is the retained online/offline state (the will).
func (t Topics) Status() string { return t.base() + "/status" }

// Down carries requests from the county.
func (t Topics) Down() string { return t.base() + "/down" }

// Reply carries the gateway's replies to requests.
func (t Topics) Reply() string { return t.base() + "/reply" }

// CountyFilters are what a county view subscribes to: every site's
// events, retained alarms, summaries, statuses and replies.
func CountyFilters(county string) []string {
	b := Root + "/county/" + county + "/site/+/"
	return []string{b + "events", b + "alarm/+", b + "summary", b + "status", b + "reply"}
}

// SiteOf returns the site of a topic under county's tree, and the rest
// of the topic after the site.
func SiteOf(county, topic string) (site, rest string, ok bool) {
	p := Root + "/county/" + county + "/site/"
	if !strings.HasPrefix(topic, p) {
		return "", "", false
	}
	site, rest, ok = strings.Cut(topic[len(p):], "/")
	return site, rest, ok && site != ""
}

// Record kinds.
const (
	KindAlarm    = "alarm"    // a step of an alarm's lifecycle
	KindPresence = "presence" // a device went offline or came back
	KindSummary  = "summary"  // the periodic site summary
)

// Record is one message of a site's event stream.
type Record struct {
	// ID is "{site}:{seq}", unique across the county.
	ID     string `json:"id"`
	County string `json:"county"`
	Site   string `json:"site"`
	// Seq counts the site's records from 1.
	Seq  uint64 `json:"seq"`
	Kind string `json:"kind"`
	// AtMS is when it happened at the site (Unix ms, the gateway's clock).
	AtMS int64 `json:"at_ms"`
	// SentMS is when the uplink first tried to send it; the county's lag
	// is its receive time minus AtMS.
	SentMS int64 `json:"sent_ms,omitempty"`

	Alarm    *Alarm    `json:"alarm,omitempty"`
	Presence *Presence `json:"presence,omitempty"`
	Summary  *Summary  `json:"summary,omitempty"`
}

// MakeID is a record's ID.
func MakeID(site string, seq uint64) string { return fmt.Sprintf("%s:%d", site, seq) }

// Alarm is a lifecycle step of an alarm and its state after that step.
type Alarm struct {
	// Step names what happened: one of the Step* constants.
	Step string `json:"step"`
	// State is the alarm after the step, exactly as the gateway's
	// GET /api/v1/alarms/{id} returns it (with its timeline and pages).
	State json.RawMessage `json:"state"`
	// GridPath is the alarm's cell and its ancestors' ids, the cell
	// first, so the county can filter by street and community without
	// the site's registry.
	GridPath []string `json:"grid_path,omitempty"`
	// GridNames are the names of GridPath, in the same order.
	GridNames []string `json:"grid_names,omitempty"`
	// DeviceName and Address describe the device for the county hall.
	DeviceName string `json:"device_name,omitempty"`
}

// Alarm lifecycle steps.
const (
	StepRaised    = "raised"
	StepJoined    = "joined"
	StepPaged     = "paged"     // an escalation step went out
	StepDelivered = "delivered" // a page's recipient acknowledged it
	StepFallback  = "fallback"  // a page went by SMS
	StepFailed    = "failed"    // a page failed
	StepAck       = "ack"
	StepArrive    = "arrive"
	StepResolve   = "resolve"
	StepCleared   = "cleared"
	StepChanged   = "changed" // anything else (muted, clip attached)
)

// Presence is a device's presence change.
type Presence struct {
	Device string `json:"device"`
	Kind   string `json:"kind,omitempty"`
	Grid   string `json:"grid"`
	Online bool   `json:"online"`
}

// Summary is a site's periodic summary.
type Summary struct {
	Ready          bool   `json:"ready"`
	OpenAlarms     int    `json:"open_alarms"`
	DevicesOnline  int    `json:"devices_online"`
	DevicesOffline int    `json:"devices_offline"`
	Backlog        int    `json:"uplink_backlog"`
	LagMS          int64  `json:"uplink_lag_ms"`
	Version        string `json:"version,omitempty"`
	// Open lists the alarms the site's own stream has told as open up to
	// this record (see OpenAlarms); nil when the site has more than
	// MaxOpenIDs or predates the list.
	Open *OpenAlarms `json:"open,omitempty"`
	// Emergency is where emergency mode is on (see Emergency); nil: not
	// told (an older gateway), which a county shows as unknown.
	Emergency *Emergency `json:"emergency,omitempty"`
}

// Status is a site's retained online state.
type Status struct {
	Online bool  `json:"online"`
	AtMS   int64 `json:"at_ms"`
}

// Request actions.
const (
	ActAck       = "ack"
	ActArrive    = "arrive"
	ActResolve   = "resolve"
	ActEmergency = "emergency" // emergency mode on or off for a grid cell
	ActBroadcast = "broadcast"
)

// Request is what the county asks of one site.
type Request struct {
	// ID is unique per request; the gateway replies with it and ignores a
	// second copy.
	ID string `json:"id"`
	// By is the county staff member acting; the gateway holds them to
	// their role and cells under its own permission table.
	By     string `json:"by"`
	Action string `json:"action"`
	// AlarmID for ack, arrive, resolve.
	AlarmID string `json:"alarm_id,omitempty"`
	// Grid for emergency and broadcast.
	Grid string `json:"grid,omitempty"`
	// On switches emergency mode on or off.
	On bool `json:"on,omitempty"`
	// WholeSite, for emergency, names the whole site (Grid empty) as
	// the scope. A gateway older than the field refuses it (400: grid
	// missing).
	WholeSite bool `json:"whole_site,omitempty"`
	// Note for ack/arrive/resolve; Text for broadcast.
	Note string `json:"note,omitempty"`
	Text string `json:"text,omitempty"`
	AtMS int64  `json:"at_ms"`
}

// Check reports what is wrong with r's shape (not whether it is allowed).
func (r Request) Check() error {
	var errs []error
	if r.ID == "" || len(r.ID) > 64 {
		errs = append(errs, errors.New("id: want 1..64 characters"))
	}
	if r.By == "" {
		errs = append(errs, errors.New("by: missing"))
	}
	switch r.Action {
	case ActAck, ActArrive, ActResolve:
		if r.AlarmID == "" {
			errs = append(errs, fmt.Errorf("%s: alarm_id missing", r.Action))
		}
	case ActEmergency:
		switch {
		case r.Grid == "" && !r.WholeSite:
			errs = append(errs, errors.New("emergency: grid missing (or whole_site)"))
		case r.Grid != "" && r.WholeSite:
			errs = append(errs, errors.New("emergency: grid and whole_site both given"))
		}
	case ActBroadcast:
		if r.Grid == "" {
			errs = append(errs, errors.New("broadcast: grid missing"))
		}
		if r.Text == "" {
			errs = append(errs, errors.New("broadcast: text missing"))
		}
		if r.WholeSite {
			errs = append(errs, errors.New("broadcast: whole_site is for emergency"))
		}
	default:
		errs = append(errs, fmt.Errorf("action %q: want ack, arrive, resolve, emergency or broadcast", r.Action))
	}
	return errors.Join(errs...)
}

// Reply is a gateway's answer to a Request.
type Reply struct {
	ID string `json:"id"`
	OK bool   `json:"ok"`
	// Status is an HTTP-like code: 200, 400, 403, 404, 409, 500.
	Status int    `json:"status"`
	Error  string `json:"error,omitempty"`
	AtMS   int64  `json:"at_ms"`
}
