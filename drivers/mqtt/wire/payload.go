package wire

// EventMsg is the payload of R/dev/{id}/evt.
type EventMsg struct {
	Type string         `json:"type"`
	TS   int64          `json:"ts,omitempty"`
	Seq  int64          `json:"seq,omitempty"`
	Data map[string]any `json:"data,omitempty"`
}

// ReplyMsg is the payload of R/staff/{id}/reply.
type ReplyMsg struct {
	AlarmID string `json:"alarm_id"`
	Action  string `json:"action"`
	Note    string `json:"note,omitempty"`
}

// ReceiptMsg is a phone's receipt of a page on R/staff/{id}/reply:
// Action is ActionReceived.
type ReceiptMsg struct {
	Action string `json:"action"`
	PageID string `json:"page_id"`
}

// CommandMsg is the payload of R/dev/{id}/cmd.
type CommandMsg struct {
	CID  string         `json:"cid"`
	Cmd  string         `json:"cmd"`
	Args map[string]any `json:"args,omitempty"`
}

// CommandAckMsg is the payload of R/dev/{id}/cmd/ack.
type CommandAckMsg struct {
	CID   string `json:"cid"`
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

// Presence payloads of R/dev/{id}/state.
const (
	Online  = "online"
	Offline = "offline"
)
