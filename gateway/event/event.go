package event

// Source names the transport an event arrived on.
type Source string

// Transports an event can come from.
const (
	SourceMQTT    Source = "mqtt"
	SourceOSDP    Source = "osdp"
	SourceModbus  Source = "modbus"
	SourceRTP     Source = "rtp"     // judged from a camera's RTP stream
	SourceGateway Source = "gateway" // derived by the gateway itself
)

// Event is one normalised device event, as written to the journal and seen by
// the rules. Times are Unix milliseconds.
type Event struct {
	// ID is the journal's sequence number, assigned when the event is made
	// durable; 0 until then. IDs grow strictly.
	ID uint64 `json:"id"`
	// Device is the registry id of the device that said it.
	Device string `json:"device"`
	// Type is a dotted lower-case event type such as "button.pressed".
	Type string `json:"type"`
	// TS is when the device says it happened (gateway time if it gave none).
	TS int64 `json:"ts"`
	// Seq is the device's own counter, used to drop duplicates; 0 when absent.
	Seq int64 `json:"seq,omitempty"`
	// Data carries type-specific details (card, reason, watchlist...).
	Data map[string]any `json:"data,omitempty"`
	// Received is when the gateway accepted the event.
	Received int64 `json:"rx"`
	// Source is the transport it arrived on.
	Source Source `json:"src"`
}

// Well-known event types every driver normalises to. Drivers may add more.
const (
	ButtonPressed      = "button.pressed"
	ButtonDuress       = "button.duress"
	IntercomCall       = "intercom.call"
	TamperOpen         = "tamper.open"
	TamperClosed       = "tamper.closed"
	PowerMainsLost     = "power.mains_lost"
	PowerMainsRestored = "power.mains_restored"
	BatteryLow         = "battery.low"
	Motion             = "motion"
	FaceMatch          = "face.match"
	VideoLoss          = "video.loss"
	CameraOccluded     = "camera.occluded"
	LineCross          = "line.cross"
	AccessGranted      = "access.granted"
	AccessDenied       = "access.denied"
	DoorForced         = "door.forced"
	DoorHeldOpen       = "door.held_open"
	DoorClosed         = "door.closed"

	// Derived by the gateway.
	DeviceOffline  = "device.offline"
	DeviceOnline   = "device.online"
	StreamDegraded = "stream.degraded"
	// DeviceFlooding is an extension of the contract: a device sent more
	// than its budget (ingest.device_rate/device_burst) and is throttled.
	// Journaled once per flood episode.
	DeviceFlooding = "device.flooding"
	// StreamRestored is an extension of the contract: a degraded or lost
	// camera stream is healthy again. It clears stream.degraded.
	StreamRestored = "stream.restored"
)

// Telemetry is one flat telemetry sample of a device. Field values are
// float64, bool or string. Every sample also counts as a heartbeat.
type Telemetry struct {
	Device   string         `json:"device"`
	TS       int64          `json:"ts"`
	Fields   map[string]any `json:"fields"`
	Received int64          `json:"rx"`
}

// Presence is a device's own statement of being online or offline (the
// retained state topic, or its will).
type Presence struct {
	Device string `json:"device"`
	Online bool   `json:"online"`
	At     int64  `json:"at"`
}

// Command is something the gateway asks a device to do.
type Command struct {
	ID     string         `json:"cid"`
	Device string         `json:"-"`
	Cmd    string         `json:"cmd"`
	Args   map[string]any `json:"args,omitempty"`
}

// CommandAck is a device's answer to a Command.
type CommandAck struct {
	ID     string `json:"cid"`
	Device string `json:"-"`
	OK     bool   `json:"ok"`
	Error  string `json:"error"`
}
