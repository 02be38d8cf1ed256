package alarm

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The store keeps the silences operators set at run time next to the
// emergency modes, so that they outlive a restart and anything that
// happens to the rules' own snapshot. It holds each as an id and a
// document whose form the rules' silence package owns.

// PutSilence stores the silence id (replacing one of that id) and appends
// rec to the audit log, in one transaction: a silence is never stored
// without its audit record.
func (s *Store) PutSilence(id string, doc []byte, rec AuditRecord) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := putSilence(tx, id, doc); err != nil {
			return err
		}
		return appendAudit(tx, rec)
	})
	if err != nil {
		return fmt.Errorf("alarm store %s: put silence: %w", s.path, err)
	}
	return nil
}

func putSilence(tx *bolt.Tx, id string, doc []byte) error {
	if id == "" || len(doc) == 0 {
		return fmt.Errorf("silence %q: empty id or document", id)
	}
	if err := tx.Bucket([]byte(bucketSilence)).Put([]byte(id), doc); err != nil {
		return fmt.Errorf("silence %q: %w", id, err)
	}
	return nil
}

// DeleteSilence removes the silence id, if stored, and appends rec to the
// audit log in the same transaction; a nil rec (a silence that ended)
// records nothing.
func (s *Store) DeleteSilence(id string, rec *AuditRecord) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket([]byte(bucketSilence)).Delete([]byte(id)); err != nil {
			return fmt.Errorf("silence %q: %w", id, err)
		}
		if rec == nil {
			return nil
		}
		return appendAudit(tx, *rec)
	})
	if err != nil {
		return fmt.Errorf("alarm store %s: delete silence: %w", s.path, err)
	}
	return nil
}

// SilenceDocs returns the document of every stored silence, by id.
func (s *Store) SilenceDocs() ([][]byte, error) {
	var out [][]byte
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketSilence)).ForEach(func(_, v []byte) error {
			out = append(out, append([]byte(nil), v...))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("alarm store %s: silences: %w", s.path, err)
	}
	return out, nil
}
