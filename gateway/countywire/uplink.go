package countywire

import (
	"encoding/json"
	"errors"
	"fmt"
)

// MaxRequestBytes is the largest Request payload a gateway reads; a
// larger one is refused (Status 400) without being decoded.
const MaxRequestBytes = 16 << 10

// Reply statuses a gateway answers with, HTTP-like.
const (
	StatusOK         = 200
	StatusBadRequest = 400 // malformed JSON, a bad shape, too large
	StatusForbidden  = 403 // unknown staff, wrong role, a cell not theirs
	StatusNotFound   = 404 // no such alarm or grid cell
	StatusConflict   = 409 // the action does not fit the alarm's state
	StatusError      = 500 // the gateway could not do it
)

// AlarmRef is the id and the closedness of the alarm an Alarm record's
// State describes (State always carries "id" and "state", as the
// gateway's GET /api/v1/alarms/{id} does). The retained topic of the
// alarm is Topics.Alarm(id); a closed alarm's retained payload is empty.
func (a *Alarm) AlarmRef() (id string, closed bool, err error) {
	var s struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	if err := json.Unmarshal(a.State, &s); err != nil {
		return "", false, fmt.Errorf("alarm state: %w", err)
	}
	if s.ID == "" {
		return "", false, errors.New("alarm state: no id")
	}
	return s.ID, s.State == "resolved" || s.State == "cleared", nil
}
