package event

// Severity is the colour an alarm is triaged by (分色治理).
type Severity string

// The four colours, most urgent first.
const (
	Red    Severity = "red"    // life safety
	Orange Severity = "orange" // security breach
	Yellow Severity = "yellow" // degraded protection
	Blue   Severity = "blue"   // maintenance
)

// Valid reports whether s is one of the four colours.
func (s Severity) Valid() bool {
	switch s {
	case Red, Orange, Yellow, Blue:
		return true
	}
	return false
}

// Trigger is a rule's decision about one event: open (or join) an alarm, or
// clear one that is open.
type Trigger struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Device   string   `json:"device"`
	// Clear asks to close the open alarm of (Rule, Device) automatically.
	Clear bool `json:"clear,omitempty"`
	// Event is the event that fired the rule.
	Event Event `json:"event"`
	// Muted, when set, says why this raise must be recorded but page
	// nobody: "flapping", "inhibited by offline", "silenced: <reason>",
	// "test: <reason>". A later raise of the same alarm without Muted
	// should page as usual. Clears are never muted.
	Muted string `json:"muted,omitempty"`
	// Test marks a raise made while its device, cell or rule is in an
	// installer's test mode; Muted is set too.
	Test bool `json:"test,omitempty"`
	// Commands are what the rule asks devices to do (strobe, siren, clip
	// from linked cameras), each with Device set to its target and no ID
	// yet; the dispatcher assigns IDs. A muted raise carries none (except
	// in test mode). The maps of Args are shared and read-only.
	Commands []Command `json:"commands,omitempty"`
}

// ActionKind is what a staff member does to an alarm.
type ActionKind string

// The actions of the contract, in lifecycle order.
const (
	Ack     ActionKind = "ack"
	Arrive  ActionKind = "arrive"
	Resolve ActionKind = "resolve"
)

// Valid reports whether k is an action of the contract.
func (k ActionKind) Valid() bool {
	return k == Ack || k == Arrive || k == Resolve
}

// Action is a staff member acting on an alarm, on any channel.
type Action struct {
	AlarmID string     `json:"alarm_id"`
	Kind    ActionKind `json:"action"`
	By      string     `json:"by"`
	Note    string     `json:"note,omitempty"`
	// Channel is where it came from: "mqtt", "http".
	Channel string `json:"channel"`
	At      int64  `json:"at"`
}

// Location is a point on the map.
type Location struct {
	Lat float64 `json:"lat" yaml:"lat"`
	Lon float64 `json:"lon" yaml:"lon"`
}

// Notification is what a staff member's phone receives on
// R/staff/{id}/notify. Field names are the public contract.
type Notification struct {
	AlarmID    string    `json:"alarm_id"`
	Rule       string    `json:"rule"`
	Severity   Severity  `json:"severity"`
	Title      string    `json:"title"`
	Device     string    `json:"device"`
	DeviceName string    `json:"device_name,omitempty"`
	Grid       string    `json:"grid"`
	GridName   string    `json:"grid_name,omitempty"`
	Location   *Location `json:"location"`
	Step       int       `json:"step"`
	RaisedMS   int64     `json:"raised_ms"`
	EventMS    int64     `json:"event_ms"`
	DeadlineMS int64     `json:"deadline_ms"`
	Clip       string    `json:"clip,omitempty"`
	Count      int       `json:"count"`
	// Late is set when the step fired after its deadline (e.g. the gateway
	// was down when it was due).
	Late bool `json:"late,omitempty"`
	// Kind is empty for an alarm page and "broadcast" for an operator's
	// message down the grid tree (then AlarmID is empty, Grid is the
	// broadcast's scope and Text the message). An extension of the contract.
	Kind        string `json:"kind,omitempty"`
	BroadcastID string `json:"broadcast_id,omitempty"`
	Text        string `json:"text,omitempty"`
	// PageID names this page (one person, one alarm step or broadcast).
	// The phone confirms it with {"action":"received","page_id":…} on its
	// reply topic and may drop a second copy of the same id. An extension
	// of the contract.
	PageID string `json:"page_id,omitempty"`
}

// KindBroadcast marks a Notification that carries a broadcast.
const KindBroadcast = "broadcast"
