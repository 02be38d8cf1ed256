package event

// PageState is where one page is on its way to a person.
type PageState string

// Page states. A page is queued until the person's client confirms it
// (delivered); when the app does not confirm in time it falls back to SMS
// (fallen_back, then delivered over sms once the SMS gateway took it);
// failed means no channel left could take it. Only a confirmation from
// the person's own client makes a page delivered: the broker accepting
// the publish does not.
const (
	PageQueued     PageState = "queued"
	PageDelivered  PageState = "delivered"
	PageFallenBack PageState = "fallen_back"
	PageFailed     PageState = "failed"
)

// Page channels: the phone app over MQTT, or a text through the SMS gateway.
const (
	PageApp = "app"
	PageSMS = "sms"
)

// PageReport is news of one page: it was delivered (Channel says how),
// fell back to SMS, or failed. The delivery ledger sends it to whoever
// sent the page (the escalation desk, the broadcast service), which owns
// the alarm or broadcast and records it.
type PageReport struct {
	PageID      string    `json:"page_id"`
	AlarmID     string    `json:"alarm_id,omitempty"`
	BroadcastID string    `json:"broadcast_id,omitempty"`
	Staff       string    `json:"staff"`
	Step        int       `json:"step"`
	Channel     string    `json:"channel"`
	State       PageState `json:"state"`
	// QueuedMS is when the page was queued, AtMS when this happened (Unix ms).
	QueuedMS int64  `json:"queued_ms"`
	AtMS     int64  `json:"at_ms"`
	Note     string `json:"note,omitempty"`
}
