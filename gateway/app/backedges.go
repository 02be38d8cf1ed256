package app

import (
	"context"

	"github.com/gridwatch/gridwatch/gateway/broadcast"
	"github.com/gridwatch/gridwatch/gateway/command"
	"github.com/gridwatch/gridwatch/gateway/deliver"
	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/httpapi"
	"github.com/gridwatch/gridwatch/gateway/ingest"
	"github.com/gridwatch/gridwatch/gateway/telemetry"
	"github.com/gridwatch/gridwatch/gateway/uplink"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// backEdges are the calls that go against the order build constructs the
// parts in. build gives each part only parts already built, so it starts
// where the data ends (the MQTT transport everything is sent through, the
// page ledger) and ends where it enters (ingest, the HTTP API). A few
// answers flow back the other way, and they are all here, built first and
// each set once, by build, as soon as its receiver exists — before anything
// runs:
//   - the MQTT transport hands what it receives to ingest, and tells the
//     page ledger what became of the pages it sent;
//   - the page ledger reports pages' fates to the desk and the broadcast
//     service, which page through it;
//   - the command dispatcher reports outcomes to the broadcast service,
//     which sends through it;
//   - the desk's alarm changes and the tracker's device changes feed the
//     console's live stream (the HTTP server, built last) and, for alarms,
//     InfluxDB history, and to the county's uplink (built after the desk,
//     whose county requests act through it); so do the desk's emergency
//     switches, to the console's stream and the county (a summary at once).
type backEdges struct {
	ingest    *ingest.Ingestor
	pages     *deliver.Ledger
	desk      pageReporter
	broadcast *broadcast.Service
	console   *httpapi.Server
	history   *telemetry.Writer // nil without influx.url
	uplink    *uplink.Uplink    // nil without uplink.url
	presence  *countyPresence   // nil without uplink.url
	// onHistoryErr logs an alarm change InfluxDB did not take.
	onHistoryErr func(alarm.Alarm, error)
}

// pageReporter is the desk as the page ledger reports to it.
type pageReporter interface {
	Report(ctx context.Context, r event.PageReport) error
}

// Handle takes an inbound publish from the transport to ingest.
func (b *backEdges) Handle(ctx context.Context, topic string, payload []byte) error {
	return b.ingest.Handle(ctx, topic, payload)
}

// PageSent and the rest tell the page ledger what the embedded broker did
// with a page (broker.Deliveries).
func (b *backEdges) PageSent(staffID, pageID string)    { b.pages.PageSent(staffID, pageID) }
func (b *backEdges) PageAcked(staffID, pageID string)   { b.pages.PageAcked(staffID, pageID) }
func (b *backEdges) PageDropped(staffID, pageID string) { b.pages.PageDropped(staffID, pageID) }
func (b *backEdges) StaffOnline(staffID string)         { b.pages.StaffOnline(staffID) }

// PageReport takes a page's fate from the ledger to whoever sent it: the
// broadcast service for broadcasts, the desk for alarms.
func (b *backEdges) PageReport(ctx context.Context, r event.PageReport) error {
	if r.BroadcastID != "" {
		b.broadcast.PageReport(r)
		return nil
	}
	return b.desk.Report(ctx, r)
}

// CommandResult takes a device command's outcome to the broadcast
// service (the broadcasts' commands; it ignores the rest).
func (b *backEdges) CommandResult(r command.Result) {
	b.broadcast.CommandResult(r.ID, r.Outcome, r.Error, r.DoneMS)
}

// PublishAlarm takes an alarm's change to the console's live stream,
// InfluxDB history and the county (queued in memory only). state is the
// alarm's JSON the board encoded for its retained message, or nil
// (board.live): the county's record carries the same bytes.
func (b *backEdges) PublishAlarm(al alarm.Alarm, state []byte) {
	b.console.PublishAlarm(al)
	if b.uplink != nil {
		b.uplink.AlarmJSON(al, state)
	}
	if b.history != nil {
		if err := b.history.WriteAlarm(al); err != nil {
			b.onHistoryErr(al, err)
		}
	}
}

// EmergencySwitched takes a switch of emergency mode to the console's
// live stream (the switch and the scopes on, to the consoles whose cells
// it touches) and tells the county: the uplink sends a summary, which
// carries where it is on, at once. The desk calls it from its goroutine;
// neither PublishEmergency nor SummaryNow blocks.
func (b *backEdges) EmergencySwitched(switched alarm.Emergency, on []alarm.Emergency) {
	b.console.PublishEmergency(switched, on)
	if b.uplink != nil {
		b.uplink.SummaryNow()
	}
}

// PublishDevice takes a device's change to the console's live stream and
// its presence changes to the county.
func (b *backEdges) PublishDevice(st devices.Status) {
	b.console.PublishDevice(st)
	if b.presence != nil {
		b.presence.change(st)
	}
}

// Delivered and Failed tell the page ledger what became of a page the SMS
// outbox took (the ledger pages through the outbox).
func (b *backEdges) Delivered(staffID, pageID, channel string) {
	b.pages.Delivered(staffID, pageID, channel)
}

func (b *backEdges) Failed(staffID, pageID, channel, why string) {
	b.pages.Failed(staffID, pageID, channel, why)
}
