package alarm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// SiteScope is the emergency scope of the whole site.
const SiteScope = ""

// Emergency is the emergency mode (扁平化) of one scope: a grid id, or
// SiteScope for the whole site. While On, every escalation step of every
// open alarm in the scope's subtree is sent at once.
type Emergency struct {
	Scope string `json:"grid"`
	On    bool   `json:"on"`
	By    string `json:"by"`
	At    int64  `json:"at"` // Unix ms of the last switch
}

// SetEmergency stores a switch of e.Scope's emergency mode and appends rec
// to the audit log, in one transaction: a switch is never stored without
// its audit record. Switching off removes the scope.
func (s *Store) SetEmergency(e Emergency, rec AuditRecord) error {
	if strings.ContainsRune(e.Scope, 0) {
		return fmt.Errorf("alarm store %s: emergency scope %q contains NUL", s.path, e.Scope)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketEmerg))
		if !e.On {
			if err := b.Delete(scopeKey(e.Scope)); err != nil {
				return fmt.Errorf("emergency %q: %w", e.Scope, err)
			}
		} else {
			buf, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("emergency %q: encode: %w", e.Scope, err)
			}
			if err := b.Put(scopeKey(e.Scope), buf); err != nil {
				return fmt.Errorf("emergency %q: %w", e.Scope, err)
			}
		}
		return appendAudit(tx, rec)
	})
	if err != nil {
		return fmt.Errorf("alarm store %s: set emergency: %w", s.path, err)
	}
	return nil
}

// Emergencies returns the scopes whose emergency mode is on, by scope.
func (s *Store) Emergencies() ([]Emergency, error) {
	var out []Emergency
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketEmerg)).ForEach(func(k, v []byte) error {
			var e Emergency
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("emergency %q: decode: %w", k, err)
			}
			if !bytes.Equal(scopeKey(e.Scope), k) {
				return errors.New("emergency " + string(k) + ": stored under another scope")
			}
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("alarm store %s: emergencies: %w", s.path, err)
	}
	return out, nil
}

// scopeKey is the bucket key of a scope: bbolt keys cannot be empty, so
// every scope is stored behind a "/" ("/" alone is the whole site).
func scopeKey(scope string) []byte { return []byte("/" + scope) }
