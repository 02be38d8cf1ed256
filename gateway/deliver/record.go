package deliver

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// record is one pending delivery as stored in the outbox bucket, keyed by
// an 8-byte big-endian sequence number (so the file iterates in the order
// notifications arrived).
type record struct {
	Staff    string             `json:"staff"`
	Note     event.Notification `json:"note"`
	QueuedMS int64              `json:"queued_ms"`
	Attempts int                `json:"attempts"`
	NextMS   int64              `json:"next_ms"`
}

func (r *record) encode() ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode outbox record for %s: %w", r.Staff, err)
	}
	return b, nil
}

func decodeRecord(b []byte) (*record, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode outbox record: %w", err)
	}
	if r.Staff == "" {
		return nil, fmt.Errorf("decode outbox record: no staff id")
	}
	return &r, nil
}

func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, seq)
}

func keySeq(k []byte) (uint64, bool) {
	if len(k) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k), true
}
