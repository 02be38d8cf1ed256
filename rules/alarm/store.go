package alarm

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/gridwatch/gridwatch/internal/boltfile"
)

// ErrCorrupt is wrapped by OpenStore's error for a damaged file.
var ErrCorrupt = boltfile.ErrCorrupt

// Bucket and key names of the store file.
const (
	bucketAlarms  = "alarms" // id → alarm JSON, every alarm ever raised
	bucketOpen    = "open"   // id → raised ms: the alarms not closed
	bucketRaised  = "raised" // raised ms (8 bytes) + id → nothing: history by time
	bucketMeta    = "meta"
	bucketEmerg   = "emergency"   // "/" + scope → Emergency JSON ("/" is the whole site)
	bucketAudit   = "audit"       // sequence (8 bytes) → AuditRecord JSON, append-only
	bucketSilence = "silences"    // silence id → the silence's JSON (rules/silence owns its form)
	keyCheckpoint = "checkpoint"  // last journal event ID applied
	keyReserved   = "id_reserved" // highest journal event ID that may have been handed out
	keyVersion    = "version"
	storeVersion  = "1"
)

// lockTimeout bounds the wait for another process's lock on the file.
const lockTimeout = 2 * time.Second

// Store is the durable home of alarms: a bbolt file that holds every alarm
// (open and closed) keyed by id, an index of the open ones, an index by
// raise time, and the checkpoint (the last journal event ID whose effects
// are stored). A Store is safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
}

// OpenStore opens (or creates) the alarm store file at path. Every page
// is read once: a damaged file is an error wrapping ErrCorrupt, never a
// panic.
func OpenStore(path string) (*Store, error) {
	db, err := boltfile.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return nil, fmt.Errorf("alarm store %s: open: %w", path, err)
	}
	s := &Store{db: db, path: path}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{bucketAlarms, bucketOpen, bucketRaised, bucketMeta, bucketEmerg, bucketAudit, bucketSilence} {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket([]byte(bucketMeta))
		switch v := meta.Get([]byte(keyVersion)); {
		case v == nil:
			return meta.Put([]byte(keyVersion), []byte(storeVersion))
		case string(v) != storeVersion:
			return fmt.Errorf("file format version %q, this build reads %q", v, storeVersion)
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("alarm store %s: %w", path, err)
	}
	return s, nil
}

// Close closes the file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("alarm store %s: close: %w", s.path, err)
	}
	return nil
}

// Save writes the alarms (replacing earlier versions of the same ids) and
// the checkpoint in one transaction, synced to disk before it returns:
// after a crash the store holds either all of it or none of it. The
// checkpoint never goes back; a lower one than stored is refused.
func (s *Store) Save(alarms []*Alarm, checkpoint uint64) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte(bucketMeta))
		old, err := checkpointOf(tx)
		if err != nil {
			return err
		}
		if checkpoint < old {
			return fmt.Errorf("checkpoint %d is behind the stored %d", checkpoint, old)
		}
		all, open, raised := tx.Bucket([]byte(bucketAlarms)), tx.Bucket([]byte(bucketOpen)), tx.Bucket([]byte(bucketRaised))
		for _, a := range alarms {
			if err := validForStore(a); err != nil {
				return err
			}
			buf, err := json.Marshal(a)
			if err != nil {
				return fmt.Errorf("alarm %s: encode: %w", a.ID, err)
			}
			id := []byte(a.ID)
			if err := all.Put(id, buf); err != nil {
				return fmt.Errorf("alarm %s: %w", a.ID, err)
			}
			if err := raised.Put(raisedKey(a.RaisedMS, a.ID), []byte{}); err != nil {
				return fmt.Errorf("alarm %s: index: %w", a.ID, err)
			}
			if a.State.Closed() {
				err = open.Delete(id)
			} else {
				err = open.Put(id, encodeUint(uint64(a.RaisedMS)))
			}
			if err != nil {
				return fmt.Errorf("alarm %s: open index: %w", a.ID, err)
			}
		}
		return meta.Put([]byte(keyCheckpoint), encodeUint(checkpoint))
	})
	if err != nil {
		return fmt.Errorf("alarm store %s: save: %w", s.path, err)
	}
	return nil
}

func validForStore(a *Alarm) error {
	switch {
	case a == nil:
		return errors.New("nil alarm")
	case a.ID == "":
		return errors.New("alarm without id")
	case strings.ContainsRune(a.ID, 0):
		return fmt.Errorf("alarm %q: id contains NUL", a.ID)
	case a.RaisedMS < 0:
		return fmt.Errorf("alarm %s: negative raised_ms %d", a.ID, a.RaisedMS)
	}
	return nil
}

// Load returns the alarms that are not closed, sorted by id, and the
// stored checkpoint (0 for a new store).
func (s *Store) Load() (open []*Alarm, checkpoint uint64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		var err error
		if checkpoint, err = checkpointOf(tx); err != nil {
			return err
		}
		open, err = openAlarms(tx)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("alarm store %s: load: %w", s.path, err)
	}
	slices.SortFunc(open, func(a, b *Alarm) int { return strings.Compare(a.ID, b.ID) })
	return open, checkpoint, nil
}

// openAlarms decodes every alarm the open index names.
func openAlarms(tx *bolt.Tx) ([]*Alarm, error) {
	all := tx.Bucket([]byte(bucketAlarms))
	idx := tx.Bucket([]byte(bucketOpen))
	var out []*Alarm
	err := idx.ForEach(func(k, _ []byte) error {
		a, err := decodeAlarm(k, all.Get(k))
		if err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

// Get returns the alarm with the given id, open or closed.
func (s *Store) Get(id string) (*Alarm, bool, error) {
	var a *Alarm
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket([]byte(bucketAlarms)).Get([]byte(id))
		if v == nil {
			return nil
		}
		var err error
		a, err = decodeAlarm([]byte(id), v)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("alarm store %s: get: %w", s.path, err)
	}
	return a, a != nil, nil
}

// LastID returns the greatest alarm id stored, "" when there is none.
func (s *Store) LastID() (string, error) {
	var id string
	err := s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket([]byte(bucketAlarms)).Cursor().Last()
		id = string(k)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("alarm store %s: last id: %w", s.path, err)
	}
	return id, nil
}

func decodeAlarm(id, v []byte) (*Alarm, error) {
	if v == nil {
		return nil, fmt.Errorf("alarm %s: indexed but not stored", id)
	}
	a := new(Alarm)
	if err := json.Unmarshal(v, a); err != nil {
		return nil, fmt.Errorf("alarm %s: decode: %w", id, err)
	}
	return a, nil
}

func raisedKey(ms int64, id string) []byte {
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, uint64(ms))
	return append(k, id...)
}

func encodeUint(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// checkpointOf reads the stored checkpoint; 0 when none was saved yet.
func checkpointOf(tx *bolt.Tx) (uint64, error) { return metaUint(tx, keyCheckpoint) }

// metaUint reads an 8-byte number of the meta bucket; 0 when absent.
func metaUint(tx *bolt.Tx, key string) (uint64, error) {
	b := tx.Bucket([]byte(bucketMeta)).Get([]byte(key))
	switch len(b) {
	case 0:
		return 0, nil
	case 8:
		return binary.BigEndian.Uint64(b), nil
	}
	return 0, fmt.Errorf("%s: %d bytes, want 8", key, len(b))
}

// EventIDs returns what the store knows of journal event IDs: the
// checkpoint (events up to it existed and their effects are stored) and
// the reservation (no ID above it was ever handed out). The journal goes
// on above both, so that an ID never names two events in the life of the
// data directory, even when the journal is lost.
func (s *Store) EventIDs() (applied, reserved uint64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		if applied, err = checkpointOf(tx); err != nil {
			return err
		}
		reserved, err = metaUint(tx, keyReserved)
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("alarm store %s: event ids: %w", s.path, err)
	}
	return applied, reserved, nil
}

// ReserveEventIDs records, synced, that journal event IDs up to through may
// have been handed out (raising the reservation), or that none above
// through were (lowering it, at a clean stop).
func (s *Store) ReserveEventIDs(through uint64) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(keyReserved), encodeUint(through))
	})
	if err != nil {
		return fmt.Errorf("alarm store %s: reserve event ids through %d: %w", s.path, through, err)
	}
	return nil
}
