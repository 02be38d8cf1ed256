package wire

import (
	"github.com/gridwatch/gridwatch/gateway/event"
)

// ActionReceived is the action of a phone's receipt of a page on its reply
// topic: {"action":"received","page_id":"…"} (alarm_id may come along and
// is ignored). It is how a phone confirms a page through a broker whose
// acknowledgements the gateway cannot see.
const ActionReceived = "received"

// maxPageIDLen bounds a page id (an alarm id, a step and a staff id, and
// a re-page's time).
const maxPageIDLen = 200

// DecodeReceipt decodes a page receipt from a staff reply. ok is false,
// with no error, when the payload is a JSON object that is not a receipt
// (an ack, arrive or resolve: DecodeReply takes those).
func DecodeReceipt(payload []byte) (pageID string, ok bool, err error) {
	m, err := object(payload)
	if err != nil {
		return "", false, err
	}
	action, err := text(m, "action", false)
	if err != nil || action != ActionReceived {
		return "", false, nil
	}
	id, err := text(m, "page_id", true)
	if err != nil {
		return "", true, err
	}
	if !validPageID(id) {
		return "", true, reject(event.BadType, "\"page_id\" %q is not a valid page id", clipString(id))
	}
	return id, true, nil
}

// validPageID accepts 1 to maxPageIDLen characters of those ValidID
// allows.
func validPageID(id string) bool {
	if len(id) == 0 || len(id) > maxPageIDLen {
		return false
	}
	for ; len(id) > 64; id = id[64:] {
		if !ValidID(id[:64]) {
			return false
		}
	}
	return ValidID(id)
}
