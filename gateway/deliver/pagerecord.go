package deliver

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// pageRecord is one page as the ledger keeps it (bucket "pages", keyed by
// its id). Times are Unix ms.
type pageRecord struct {
	ID      string             `json:"id"`
	Staff   string             `json:"staff"`
	Note    event.Notification `json:"note"`
	Channel string             `json:"channel"` // where it is now: app or sms
	State   event.PageState    `json:"state"`
	// OnApp is set once the page went to the app: it is re-sent there
	// until confirmed, even after an SMS fallback.
	OnApp bool `json:"on_app"`
	// Attempts counts the re-sends to the app.
	Attempts    int   `json:"attempts"`
	QueuedMS    int64 `json:"queued_ms"`
	SentMS      int64 `json:"sent_ms"` // the last send to the app
	DeliveredMS int64 `json:"delivered_ms,omitempty"`
	// NextMS is when the app gets it again unless confirmed; FallbackMS
	// when it goes to SMS (0 once that was decided).
	NextMS     int64 `json:"next_ms"`
	FallbackMS int64 `json:"fallback_ms"`
}

func (r *pageRecord) encode() ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode page %s: %w", r.ID, err)
	}
	return b, nil
}

func decodePage(b []byte) (*pageRecord, error) {
	var r pageRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode page record: %w", err)
	}
	if r.ID == "" || r.Staff == "" || r.State == "" {
		return nil, fmt.Errorf("decode page record: no id, staff or state")
	}
	return &r, nil
}

// report is news of the page in state at atMS.
func (r *pageRecord) report(state event.PageState, atMS int64) event.PageReport {
	return event.PageReport{PageID: r.ID, AlarmID: r.Note.AlarmID, BroadcastID: r.Note.BroadcastID, Staff: r.Staff,
		Step: r.Note.Step, Channel: r.Channel, State: state, QueuedMS: r.QueuedMS, AtMS: atMS}
}

// changedMS is about when the page got to its state.
func (r *pageRecord) changedMS() int64 {
	if r.DeliveredMS != 0 {
		return r.DeliveredMS
	}
	return r.SentMS
}

// anonymousPageID names a page its sender did not name: a broadcast's
// page to one person, or else one alarm step's.
func anonymousPageID(staffID string, n event.Notification) string {
	if n.Kind == event.KindBroadcast {
		return "b." + n.BroadcastID + "." + staffID
	}
	return n.AlarmID + "." + strconv.Itoa(n.Step) + "." + staffID
}
