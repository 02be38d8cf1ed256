package alarm

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// AuditKind names what an audit record is about.
type AuditKind string

// Audit record kinds.
const (
	AuditRefused    AuditKind = "refused"    // an action was refused (HTTP 403)
	AuditEmergency  AuditKind = "emergency"  // emergency mode was switched
	AuditRules      AuditKind = "rules"      // the rule set was reloaded (or a reload refused)
	AuditSilence    AuditKind = "silence"    // a silence was set or removed
	AuditCommand    AuditKind = "command"    // a device command was sent over the API
	AuditCommission AuditKind = "commission" // a commissioning session was started or ended
)

// Audit limits of AuditLog.
const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 1000
)

// AuditRecord is one line of the append-only audit log: who tried or did
// what, on which alarm or scope, when, and (for a refusal) why not.
type AuditRecord struct {
	Seq    uint64    `json:"seq"` // set by the store, from 1
	At     int64     `json:"at"`  // Unix ms
	Kind   AuditKind `json:"kind"`
	By     string    `json:"by"`
	Action string    `json:"action"` // ack, arrive, resolve, emergency_on, emergency_off, reload, silence_set, silence_removed
	Alarm  string    `json:"alarm,omitempty"`
	Grid   string    `json:"grid,omitempty"` // the alarm's cell or the emergency scope
	Reason string    `json:"reason,omitempty"`
}

// AppendAudit appends rec to the audit log (its Seq is assigned).
func (s *Store) AppendAudit(rec AuditRecord) error {
	if err := s.db.Update(func(tx *bolt.Tx) error { return appendAudit(tx, rec) }); err != nil {
		return fmt.Errorf("alarm store %s: audit: %w", s.path, err)
	}
	return nil
}

func appendAudit(tx *bolt.Tx, rec AuditRecord) error {
	if rec.Kind == "" || rec.At < 0 {
		return fmt.Errorf("audit record without a kind or at a negative time: %+v", rec)
	}
	b := tx.Bucket([]byte(bucketAudit))
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("audit sequence: %w", err)
	}
	rec.Seq = seq
	buf, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("audit record: encode: %w", err)
	}
	return b.Put(encodeUint(seq), buf)
}

// AuditLog returns up to limit audit records at or after sinceMS, oldest
// first. limit must be 1..MaxAuditLimit and sinceMS not negative.
func (s *Store) AuditLog(sinceMS int64, limit int) ([]AuditRecord, error) {
	if sinceMS < 0 || limit < 1 || limit > MaxAuditLimit {
		return nil, fmt.Errorf("audit log: since %d, limit %d: want since ≥ 0 and limit 1..%d", sinceMS, limit, MaxAuditLimit)
	}
	out := []AuditRecord{}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte(bucketAudit)).Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			var rec AuditRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("audit record %d: decode: %w", binary.BigEndian.Uint64(k), err)
			}
			if rec.At >= sinceMS {
				out = append(out, rec)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("alarm store %s: audit log: %w", s.path, err)
	}
	return out, nil
}
